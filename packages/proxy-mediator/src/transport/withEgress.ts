import type { AgentDependencies } from '@credo-ts/core'
import type { Egress } from './Egress'

type WebSocketClass = AgentDependencies['WebSocketClass']

interface NodeWebSocket {
  once(event: 'error', listener: (error: Error) => void): void
}

/**
 * Wraps the agent's WebSocket class so that every outbound socket goes out by the egress rule:
 * through the HTTP CONNECT proxy where one applies, trusting the extra CAs, and a socket that fails
 * to open leaves its reason with `egress`. Credo constructs sockets with the URL alone; options the
 * caller gives win. Browser-style WebSockets take no options; they are returned unchanged.
 */
export function withEgress(Base: WebSocketClass, egress: Egress): WebSocketClass {
  if (typeof (Base.prototype as Partial<NodeWebSocket>).once !== 'function') return Base
  const Egressing = class extends (Base as unknown as new (...args: unknown[]) => NodeWebSocket) {
    public constructor(address: string | URL, protocols?: unknown, options?: Record<string, unknown>) {
      const target = new URL(String(address))
      const viaEgress = egress.webSocketOptions(target)
      // ws takes options in the place of protocols too.
      const given = protocols && typeof protocols === 'object' && !Array.isArray(protocols) ? protocols : options
      super(address, Array.isArray(protocols) || typeof protocols === 'string' ? protocols : [], {
        ...viaEgress,
        ...(given as Record<string, unknown> | undefined),
      })
      this.once('error', (error) => egress.recordFailure(target, error))
    }
  }
  return Egressing as unknown as WebSocketClass
}
