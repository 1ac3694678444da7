import type { AgentDependencies } from '@credo-ts/core'

type WebSocketClass = AgentDependencies['WebSocketClass']

/** What an interceptor may do with the socket a frame came in on. */
export interface InterceptedSocket {
  readonly readyState: number
  send(data: string): void
}

/** Resolves true when it has handled the frame; false hands the frame to Credo unchanged. */
export type InboundFrameInterceptor = (data: unknown, socket: InterceptedSocket) => Promise<boolean>

type MessageListener = (event: { data: unknown }) => void

interface EventTargetSocket extends InterceptedSocket {
  addEventListener(type: string, listener: MessageListener, options?: unknown): void
  removeEventListener(type: string, listener: MessageListener): void
}

/**
 * Wraps the agent's WebSocket class so that inbound frames are offered to an interceptor
 * before Credo's outbound transport sees them. This is the seam of the pickup fast path:
 * frames it does not claim reach Credo exactly as before.
 */
export function withInboundInterceptor(Base: WebSocketClass, intercept: InboundFrameInterceptor): WebSocketClass {
  const Intercepting = class extends (Base as unknown as new (...args: unknown[]) => EventTargetSocket) {
    private readonly wrappedListeners = new Map<MessageListener, MessageListener>()

    public override addEventListener(type: string, listener: MessageListener, options?: unknown): void {
      if (type !== 'message') {
        super.addEventListener(type, listener, options)
        return
      }
      const wrapped: MessageListener = (event) => {
        intercept(event.data, this).then(
          (handled) => {
            if (!handled) listener.call(this, event)
          },
          () => listener.call(this, event),
        )
      }
      this.wrappedListeners.set(listener, wrapped)
      super.addEventListener(type, wrapped, options)
    }

    public override removeEventListener(type: string, listener: MessageListener): void {
      const wrapped = this.wrappedListeners.get(listener)
      this.wrappedListeners.delete(listener)
      super.removeEventListener(type, wrapped ?? listener)
    }
  }
  return Intercepting as unknown as WebSocketClass
}
