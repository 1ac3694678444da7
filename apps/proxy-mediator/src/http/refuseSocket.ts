import type { Duplex } from 'node:stream'

const REASON_PHRASES: Record<number, string> = { 429: 'Too Many Requests', 503: 'Service Unavailable' }

/**
 * Answers a raw socket with a bare HTTP status and closes it, before any request on it was read:
 * a connection or an upgrade refused for the load it would add, not for what it said.
 */
export function refuseSocket(socket: Duplex, status: 429 | 503): void {
  socket.write(`HTTP/1.1 ${status} ${REASON_PHRASES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  socket.destroy()
}
