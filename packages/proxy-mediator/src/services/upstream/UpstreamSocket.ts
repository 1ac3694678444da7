/** The socket a frame came in on: where the acknowledgements for that mediator are written. */
export interface UpstreamSocket {
  readonly readyState: number
  send(data: string): void
}

/** An outbound websocket the agent opened, watched from its construction on. */
export interface TrackedSocket extends UpstreamSocket {
  readonly url: string
  addEventListener(type: 'open' | 'close', listener: () => void): void
  addEventListener(type: 'error', listener: (event: { message?: string; error?: unknown }) => void): void
  close(code?: number, reason?: string): void
}
