import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket, WebSocketServer } from 'ws'
import type { RecordRefusal } from '../web/RefusalRecorder'
import { refuseSocket } from './refuseSocket'

export interface WebSocketLimits {
  isDraining: () => boolean
  /** Most inbound sockets open at once. */
  maxSockets: number
  /** Most inbound sockets open at once from one remote address. */
  maxSocketsPerAddress: number
  /** A socket that sends no message for this long after opening is closed. */
  idleTimeoutMs: number
  recordRefusal: RecordRefusal
}

/**
 * Hands WebSocket upgrades of the HTTP server to the (noServer) WebSocket server, as Credo's
 * samples/mediator.ts does, so DIDComm over WebSocket shares the HTTP port. An anonymous socket
 * costs little: their number is bounded, overall and per address, a socket that never sends a
 * message is closed, and frames are bounded by the server's `maxPayload`.
 */
export function attachWebSocketUpgrade(
  server: Server,
  webSocketServer: WebSocketServer,
  limits: WebSocketLimits,
): void {
  const perAddress = new Map<string, number>()

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (limits.isDraining()) return refuse(socket, 503, 'shutting_down')
    const address = request.socket.remoteAddress ?? 'unknown'
    if (webSocketServer.clients.size >= limits.maxSockets) return refuse(socket, 503, 'too_many_websockets')
    if ((perAddress.get(address) ?? 0) >= limits.maxSocketsPerAddress) {
      return refuse(socket, 429, 'too_many_websockets_from_address')
    }
    webSocketServer.handleUpgrade(request, socket, head, (webSocket) => {
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1)
      webSocket.once('close', () => {
        const left = (perAddress.get(address) ?? 1) - 1
        if (left <= 0) perAddress.delete(address)
        else perAddress.set(address, left)
      })
      // ws reports a frame over maxPayload (and other protocol errors) as an 'error' event on the
      // socket and then closes it (1009); without a listener a single oversized frame would be an
      // uncaught exception that ends the process. It is a refusal like any other, logged as one.
      webSocket.on('error', (error) => {
        const reason = websocketErrorReason(error)
        limits.recordRefusal(reason, `Websocket from ${address} closed: ${reason}: ${error.message}`)
      })
      closeIfSilent(webSocket, limits.idleTimeoutMs)
      webSocketServer.emit('connection', webSocket, request)
    })
  })

  function refuse(socket: Duplex, status: 429 | 503, reason: string) {
    limits.recordRefusal(reason, `Websocket upgrade refused with ${status}: ${reason}`)
    refuseSocket(socket, status)
  }
}

function closeIfSilent(webSocket: WebSocket, idleTimeoutMs: number) {
  const timer = setTimeout(() => webSocket.terminate(), idleTimeoutMs)
  timer.unref()
  webSocket.once('message', () => clearTimeout(timer))
  webSocket.once('close', () => clearTimeout(timer))
}

function websocketErrorReason(error: Error & { code?: string }): string {
  return error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'websocket_frame_too_large' : 'websocket_protocol_error'
}
