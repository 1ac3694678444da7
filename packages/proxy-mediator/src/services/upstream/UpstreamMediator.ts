import type { AgentContext, ConnectionRecord, KeylistUpdateAction } from '@credo-ts/core'
import type {
  ActivePickupMode,
  UpstreamMediatorRole,
  UpstreamSocketState,
  UpstreamStatus,
} from '../../models/ProxyMediatorStatus'
import type { UpstreamMediatorEntry } from '../../repository/ProxyMediatorStateRecord'
import { verkeyToDidKey } from '../../utils/keys'
import { normalizedUrl } from '../../utils/normalizedUrl'
import { AcknowledgementBatch } from './AcknowledgementBatch'
import type { KeylistChange, KeylistMirrorTarget } from './KeylistMirror'
import type { PickupTarget, UpstreamSession } from './UpstreamSession'
import type { UpstreamSocket } from './UpstreamSocket'

/** The grant an external mediator gave the proxy: where senders reach it, and its routing keys (base58). */
export interface UpstreamGrant {
  endpoint?: string
  routingKeys: string[]
}

/** The connection to the mediator as its frames name it, resolved once when the mediator is opened. */
export interface UpstreamConnectionKeys {
  connection: ConnectionRecord
  /** Our key on the connection (base58). */
  ours: string
  /** The mediator's key on the connection (base58). */
  theirs: string
  /** The mediator's websocket endpoints, as URLs: a socket to one of them is this mediator's. */
  websocketEndpoints: Set<string>
}

/** What a mediator does through the agent; the factory that makes it gives them. */
export interface UpstreamMediatorLinks {
  /** Resolves the connection's keys and finds the sockets already open to the mediator. */
  open(mediator: UpstreamMediator): Promise<void>
  /** Writes a messages-received for these ids; never throws. */
  acknowledge(mediator: UpstreamMediator, messageIds: string[]): Promise<unknown>
  /** Sends a keylist update and throws unless the mediator took every change. */
  updateKeylist(mediator: UpstreamMediator, changes: KeylistChange[]): Promise<void>
  /** Forwards picked up from this mediator that are being relayed now. */
  relaysInFlight(mediator: UpstreamMediator): number
  socketState(mediator: UpstreamMediator): UpstreamSocketState
  pull(agentContext: AgentContext, mediator: UpstreamMediator): Promise<boolean>
  quiet(agentContext: AgentContext, mediator: UpstreamMediator): Promise<boolean>
}

/**
 * One external mediator of the proxy, with everything the proxy knows of it in one place: its entry
 * (role, pickup mode) and grant, the connection's keys and the socket its frames came on, the
 * acknowledgements waiting to go out, what it said it holds, the keylist changes it has not taken
 * yet, and its pickup session. Made by `UpstreamMediatorFactory`; `UpstreamMediators` keeps the set.
 */
export class UpstreamMediator implements KeylistMirrorTarget, PickupTarget {
  public keys?: UpstreamConnectionKeys
  /** The socket its frames last came on, or an open one to it: where acknowledgements are written. */
  public socket?: UpstreamSocket
  /** Whether a socket to the mediator ever existed, to tell `closed` from `none`. */
  public hadSocket = false
  /** Why the last socket to the mediator failed, as the socket said it (e.g. `connect ECONNREFUSED ...`). */
  public lastSocketError?: string
  public lastPickupAt?: Date
  public readonly acknowledgements: AcknowledgementBatch
  /** The agents' keylist changes it has not taken yet (transparent mode), the last action per key. */
  public readonly pendingKeylist = new Map<string, KeylistUpdateAction>()
  public readonly session: UpstreamSession
  private held?: number
  private statusWaiters: Array<() => void> = []

  public constructor(
    public readonly entry: UpstreamMediatorEntry,
    public readonly grant: UpstreamGrant,
    private readonly links: UpstreamMediatorLinks,
    sessionOf: (mediator: UpstreamMediator) => UpstreamSession,
  ) {
    this.acknowledgements = new AcknowledgementBatch((messageIds) => links.acknowledge(this, messageIds))
    this.session = sessionOf(this)
  }

  /** The proxy's connection id to it: the id an operator names it by. */
  public get id(): string {
    return this.entry.connectionId
  }

  public get pickupMode(): ActivePickupMode {
    return this.entry.pickupMode
  }

  public get role(): UpstreamMediatorRole {
    return this.entry.role
  }

  public set role(role: UpstreamMediatorRole) {
    this.entry.role = role
  }

  public get isReady(): boolean {
    return this.session.isReady
  }

  /** What it said it holds for the proxy in its last pickup 2.0 status. */
  public get heldMessages(): number | undefined {
    return this.held
  }

  public get relaysInFlight(): number {
    return this.links.relaysInFlight(this)
  }

  /** Opens its connection to the channel, and starts pickup. */
  public async start(): Promise<void> {
    await this.links.open(this)
    await this.session.start()
  }

  /** No more pickup; acknowledgements can still go out until `close`. */
  public stopPickup(): void {
    this.session.stop()
  }

  /** Stops pickup and writes the acknowledgements still pending. */
  public async close(): Promise<void> {
    this.session.stop()
    await this.acknowledgements.flush()
  }

  /** A pickup 2.0 status: what it holds for the proxy now. */
  public noteStatus(messageCount: number): void {
    this.held = messageCount
    for (const wake of this.statusWaiters.splice(0)) wake()
  }

  /** Resolves at its next status, or after `timeoutMs`. */
  public nextStatus(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.statusWaiters.push(resolve)
      setTimeout(resolve, timeoutMs).unref()
    })
  }

  public socketState(): UpstreamSocketState {
    return this.links.socketState(this)
  }

  public pull(agentContext: AgentContext): Promise<boolean> {
    return this.links.pull(agentContext, this)
  }

  public quiet(agentContext: AgentContext): Promise<boolean> {
    return this.links.quiet(agentContext, this)
  }

  public get websocketEndpoints(): string[] {
    return [...(this.keys?.websocketEndpoints ?? [])]
  }

  public notePickup(): void {
    this.lastPickupAt = new Date()
  }

  public updateKeylist(changes: KeylistChange[]): Promise<void> {
    return this.links.updateKeylist(this, changes)
  }

  /** Whether a socket to this URL is a socket to this mediator. */
  public isWebsocketUrl(url: string): boolean {
    return this.keys?.websocketEndpoints.has(normalizedUrl(url)) ?? false
  }

  /** Its part of the status; `proxyRoutingKey` in base58. */
  public describe(proxyRoutingKey: string | undefined): UpstreamStatus {
    const { session } = this
    return {
      mediatorConnectionId: this.id,
      endpoint: this.grant.endpoint,
      routingKeys: this.grant.routingKeys.map(verkeyToDidKey),
      proxyRoutingKey: proxyRoutingKey ? verkeyToDidKey(proxyRoutingKey) : undefined,
      pickupMode: this.entry.pickupMode,
      socketState: session.socketState,
      lastPickupAt: this.lastPickupAt?.toISOString(),
      reconnects: session.reconnects,
      lastError: session.lastError,
    }
  }
}
