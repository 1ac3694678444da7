import type { Server } from 'node:http'
import type { RecordRefusal } from '../web/RefusalRecorder'
import { refuseSocket } from './refuseSocket'

export interface ConnectionLimits {
  /** Most connections open at once (HTTP, keep-alive and websockets alike); more get 503. */
  maxConnections: number
  /** Most connections open at once from one remote address; more get 429. */
  maxConnectionsPerAddress: number
  recordRefusal: RecordRefusal
}

/**
 * Bounds the sockets a server holds, overall and per remote address, so that one client cannot
 * take every file descriptor of the process. A connection past a bound is answered with a bare
 * 503 or 429 and closed before anything on it is read. For any listener of the runner: the shared
 * port today, an admin listener too once there is one.
 */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  let open = 0
  const perAddress = new Map<string, number>()
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown'
    if (open >= limits.maxConnections) {
      limits.recordRefusal('too_many_connections', `Connection refused with 503: ${open} are open (max-connections)`)
      return refuseSocket(socket, 503)
    }
    const fromAddress = perAddress.get(address) ?? 0
    if (fromAddress >= limits.maxConnectionsPerAddress) {
      limits.recordRefusal(
        'too_many_connections_from_address',
        `Connection from ${address} refused with 429: ${fromAddress} are open from it (max-connections-per-address)`,
      )
      return refuseSocket(socket, 429)
    }
    open++
    perAddress.set(address, fromAddress + 1)
    socket.once('close', () => {
      open--
      const left = (perAddress.get(address) ?? 1) - 1
      if (left <= 0) perAddress.delete(address)
      else perAddress.set(address, left)
    })
  })
}
