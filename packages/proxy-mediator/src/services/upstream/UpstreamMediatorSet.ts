import { injectable } from '@credo-ts/core'
import type { UpstreamMediator } from './UpstreamMediator'
import type { UpstreamSocket } from './UpstreamSocket'

/**
 * The proxy's external mediators, found the ways their messages name them: by connection id, by
 * our key on the connection (a frame's recipient), by the URL of a socket. Written by
 * `UpstreamMediators` alone; read by the channel and the pickup protocol, which call a mediator
 * directly rather than through events.
 */
@injectable()
export class UpstreamMediatorSet {
  private readonly byId = new Map<string, UpstreamMediator>()

  public add(mediator: UpstreamMediator): void {
    this.byId.set(mediator.id, mediator)
  }

  public delete(mediator: UpstreamMediator): void {
    if (this.byId.get(mediator.id) === mediator) this.byId.delete(mediator.id)
  }

  public get(connectionId: string): UpstreamMediator | undefined {
    return this.byId.get(connectionId)
  }

  /** In the order they were added. */
  public all(): UpstreamMediator[] {
    return [...this.byId.values()]
  }

  public get size(): number {
    return this.byId.size
  }

  /** The mediator one of these keys (a frame's recipients) is our key on the connection to. */
  public withOurKey(kids: readonly string[]): UpstreamMediator | undefined {
    for (const mediator of this.byId.values()) {
      if (mediator.keys && kids.includes(mediator.keys.ours)) return mediator
    }
    return undefined
  }

  /** The mediators a socket to this URL goes to. */
  public withWebsocketUrl(url: string): UpstreamMediator[] {
    return this.all().filter((mediator) => mediator.isWebsocketUrl(url))
  }

  /** The mediator a socket belongs to: by its URL, else by the socket its own messages came on. */
  public ofSocket(socket: UpstreamSocket): UpstreamMediator | undefined {
    const { url } = socket as Partial<{ url: string }>
    for (const mediator of this.byId.values()) {
      if ((url !== undefined && mediator.isWebsocketUrl(url)) || mediator.socket === socket) return mediator
    }
    return undefined
  }

  /**
   * A message came from a mediator by a way with nothing to acknowledge (a pickup 1.0 batch, or
   * polling). Those messages name no connection, so with one mediator it is that one.
   */
  public notePickup(connectionId: string | undefined): void {
    const mediator = connectionId ? this.get(connectionId) : this.size === 1 ? this.all()[0] : undefined
    mediator?.notePickup()
  }
}
