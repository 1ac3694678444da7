import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** Linux's default, where /proc can't be read. */
const DEFAULT_EPHEMERAL_START = 32768
const LOWEST_PORT = 10000
/** Below this many ports to pick from, two test processes would pick the same one too often. */
const MIN_CHOICES = 1000
const ATTEMPTS = 50

/**
 * Where the kernel's ephemeral range starts. A port taken from that range and let go is the next
 * one the kernel may hand to any outgoing connection (the tests open thousands), which then holds
 * it while a server tries to bind it.
 */
function ephemeralRangeStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)
    const port = Number(start)
    return Number.isInteger(port) && port - LOWEST_PORT >= MIN_CHOICES ? port : DEFAULT_EPHEMERAL_START
  } catch {
    return DEFAULT_EPHEMERAL_START
  }
}

/** True if nothing listens on `port`, on any address: probed the way Credo's transports bind. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, () => server.close(() => resolve(true)))
  })
}

/**
 * The first port of `candidates` that nothing listens on. Exported for its test; use `freePort`.
 */
export async function firstFreePort(candidates: () => number, attempts = ATTEMPTS): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = candidates()
    if (await canListen(port)) return port
  }
  throw new Error(`No free port found in ${attempts} attempts`)
}

/**
 * A free port for a server that cannot listen on port 0 (Credo's HTTP transport). It is picked at
 * random below the ephemeral range, not by the OS from inside it: there, between the probe and the
 * bind, an outgoing connection of this or another test process could take it, and the server would
 * then fail to bind, or a test would talk to the wrong peer until its wait ran out.
 */
export function freePort(): Promise<number> {
  const start = LOWEST_PORT
  const end = ephemeralRangeStart()
  return firstFreePort(() => start + Math.floor(Math.random() * (end - start)))
}
