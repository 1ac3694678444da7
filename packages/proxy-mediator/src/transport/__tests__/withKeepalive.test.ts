import type { AddressInfo } from 'node:net'
import { agentDependencies } from '@credo-ts/node'
import { WebSocket, WebSocketServer } from 'ws'
import { withKeepalive } from '../withKeepalive'

async function startServer(autoPong: boolean) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong })
  await new Promise((resolve) => server.once('listening', resolve))
  const pings: number[] = []
  server.on('connection', (socket) => socket.on('ping', () => pings.push(pings.length + 1)))
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, pings, server }
}

const KeepaliveSocket = withKeepalive(agentDependencies.WebSocketClass, 50) as unknown as typeof WebSocket

describe('withKeepalive', () => {
  it('terminates a socket whose peer stops answering pings', async () => {
    const { url, pings, server } = await startServer(false)
    const socket = new KeepaliveSocket(url)
    const closed = await new Promise<boolean>((resolve) => socket.on('close', () => resolve(true)))
    expect(closed).toBe(true)
    // It was the keepalive that ended it: one unanswered ping, then termination.
    expect(pings.length).toBe(1)
    server.close()
  })

  it('keeps a socket open while pongs come back', async () => {
    const { url, pings, server } = await startServer(true)
    const socket = new KeepaliveSocket(url)
    await new Promise((resolve) => socket.on('open', resolve))
    while (pings.length < 4) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(socket.readyState).toBe(WebSocket.OPEN)
    socket.close()
    server.close()
  })

  it('leaves the class unchanged when the keepalive is off', () => {
    expect(withKeepalive(agentDependencies.WebSocketClass, 0)).toBe(agentDependencies.WebSocketClass)
  })
})
