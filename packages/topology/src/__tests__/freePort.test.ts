import { readFileSync } from 'node:fs'
import { type Server, createServer } from 'node:net'
import { firstFreePort, freePort } from '../freePort'

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, () => resolve(server))
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

describe('freePort', () => {
  it('gives a port below the ephemeral range that a server can bind at once', async () => {
    const [ephemeralStart] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)
    const port = await freePort()
    expect(port).toBeGreaterThanOrEqual(10000)
    expect(port).toBeLessThan(Number(ephemeralStart))
    await close(await listenOn(port))
  })

  it('skips a candidate that something listens on', async () => {
    const taken = await listenOn(0)
    const takenPort = (taken.address() as { port: number }).port
    const free = await freePort()
    const candidates = [takenPort, free]
    try {
      expect(await firstFreePort(() => candidates.shift() as number)).toBe(free)
    } finally {
      await close(taken)
    }
  })

  it('says so when every candidate is taken', async () => {
    const taken = await listenOn(0)
    const takenPort = (taken.address() as { port: number }).port
    try {
      await expect(firstFreePort(() => takenPort, 3)).rejects.toThrow('No free port found in 3 attempts')
    } finally {
      await close(taken)
    }
  })
})
