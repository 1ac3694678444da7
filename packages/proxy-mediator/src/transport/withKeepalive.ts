import type { AgentDependencies } from '@credo-ts/core'

type WebSocketClass = AgentDependencies['WebSocketClass']

interface NodeWebSocket {
  on(event: 'open' | 'pong' | 'close', listener: () => void): void
  ping(): void
  terminate(): void
}

/**
 * Wraps the agent's WebSocket class so that every outbound socket pings on an interval and is
 * terminated when a pong does not come back before the next ping. Credo 0.5 sends no
 * keepalive, so a half-open socket (peer gone without a close frame) would otherwise look open
 * forever while nothing is picked up. Termination fires `close`, and the pickup service
 * reconnects. Browser-style WebSockets have no ping; they are returned unchanged.
 */
export function withKeepalive(Base: WebSocketClass, intervalMs: number): WebSocketClass {
  if (intervalMs <= 0 || typeof (Base.prototype as Partial<NodeWebSocket>).ping !== 'function') return Base
  const Keepalive = class extends (Base as unknown as new (...args: unknown[]) => NodeWebSocket) {
    public constructor(...args: unknown[]) {
      super(...args)
      let answered = true
      let timer: NodeJS.Timeout | undefined
      this.on('pong', () => {
        answered = true
      })
      this.on('open', () => {
        timer = setInterval(() => {
          if (!answered) {
            clearInterval(timer)
            this.terminate()
            return
          }
          answered = false
          this.ping()
        }, intervalMs)
        timer.unref()
      })
      this.on('close', () => clearInterval(timer))
    }
  }
  return Keepalive as unknown as WebSocketClass
}
