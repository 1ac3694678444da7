import type { Server } from 'node:http'
import type { WebSocketServer } from 'ws'

/**
 * Hands WebSocket upgrades of the HTTP server to the (noServer) WebSocket server, as Credo's
 * samples/mediator.ts does, so DIDComm over WebSocket shares the HTTP port.
 */
export function attachWebSocketUpgrade(
  server: Server,
  webSocketServer: WebSocketServer,
  isDraining: () => boolean,
): void {
  server.on('upgrade', (request, socket, head) => {
    if (isDraining()) {
      socket.destroy()
      return
    }
    webSocketServer.handleUpgrade(request, socket, head, (webSocket) => {
      webSocketServer.emit('connection', webSocket, request)
    })
  })
}
