import {
  type AgentContext,
  ConnectionService,
  EventEmitter,
  MediationRepository,
  MessagePickupApi,
  MessageSender,
  injectable,
} from '@credo-ts/core'
import { ProxyMediatorEventTypes, type ProxyMediatorStateChangedEvent } from '../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { AlreadyConnectedError } from '../errors/AlreadyConnectedError'
import { SetupInProgressError } from '../errors/SetupInProgressError'
import type { ProxyMediatorState, UpstreamMediatorStatus, UpstreamStatus } from '../models/ProxyMediatorStatus'
import type { UpstreamMediatorEntry } from '../repository/ProxyMediatorStateRecord'
import { verkeyToDidKey } from '../utils/keys'
import { ProxyMediatorStateService } from './ProxyMediatorStateService'
import { UpstreamChannel } from './UpstreamChannel'
import { UpstreamMediationService } from './UpstreamMediationService'
import { UpstreamSession, type UpstreamSessionDependencies } from './UpstreamSession'

/** The grant an external mediator gave the proxy: where senders reach it, and its routing keys (base58). */
export interface UpstreamGrant {
  endpoint?: string
  routingKeys: string[]
}

interface UpstreamMediator {
  entry: UpstreamMediatorEntry
  grant: UpstreamGrant
  session: UpstreamSession
}

/**
 * The proxy as mediation recipient: the external mediators it is set up with, each with its own
 * pickup session, and the proxy's state (`init`, `setup`, `ready`), which lives here with the
 * sessions and is emitted as `ProxyMediatorStateChanged` the moment it changes. The grant details
 * are held in memory, so that a status, or a grant to an agent, never reads storage.
 */
@injectable()
export class UpstreamMediators {
  private readonly mediators: UpstreamMediator[] = []
  private readonly sessionDependencies: UpstreamSessionDependencies
  private agentContext?: AgentContext
  private connecting = false
  private publishedState: ProxyMediatorState = 'init'
  private proxyRoutingKey?: string

  public constructor(
    config: ProxyMediatorModuleConfig,
    private readonly eventEmitter: EventEmitter,
    messagePickupApi: MessagePickupApi,
    connectionService: ConnectionService,
    messageSender: MessageSender,
    private readonly mediationRepository: MediationRepository,
    private readonly state: ProxyMediatorStateService,
    private readonly recipient: UpstreamMediationService,
    private readonly channel: UpstreamChannel,
  ) {
    this.sessionDependencies = { config, eventEmitter, messagePickupApi, connectionService, messageSender }
  }

  /** Resumes pickup from every mediator set up before (a restart needs no call). */
  public async start(agentContext: AgentContext): Promise<void> {
    this.agentContext = agentContext
    this.proxyRoutingKey = await this.state.proxyRoutingKey(agentContext)
    const entries = (this.state.current ?? (await this.state.load(agentContext))).upstreamMediators()
    for (const entry of entries) {
      const started = this.find(entry.connectionId)
      if (!started) {
        await this.startMediator(agentContext, entry)
        continue
      }
      await this.channel.open(agentContext, entry.connectionId)
      await started.session.start()
    }
  }

  /** No more pickup; acknowledgements can still go out until `stop`. */
  public async stopPickup(): Promise<void> {
    for (const { session } of this.mediators) session.stop()
  }

  /** Writes the acknowledgements still pending and closes the channel. */
  public async stop(): Promise<void> {
    await this.stopPickup()
    await this.channel.closeAll()
  }

  /**
   * Connects to an external mediator, obtains mediation, registers the proxy's routing key and
   * starts pickup. Resolves once pickup runs, with the status complete.
   */
  public async connect(agentContext: AgentContext, invitationUrl: string): Promise<void> {
    if (this.connecting) {
      throw new SetupInProgressError(
        'The proxy is connecting to an external mediator already; watch its status, and call again only if that set-up fails.',
      )
    }
    if (this.mediators.length > 0) {
      throw new AlreadyConnectedError(
        `The proxy is already set up with an external mediator (status: ${this.currentState}); this version keeps one external mediator, so nothing was changed.`,
      )
    }
    this.connecting = true
    try {
      const invitation = await this.recipient.parseInvitation(agentContext, invitationUrl)
      const mediationRecord = await this.recipient.requestMediation(agentContext, invitation)
      await this.recipient.registerRoutingKey(agentContext, mediationRecord)
      const pickupMode = await this.recipient.choosePickupMode(agentContext, mediationRecord)
      const entry: UpstreamMediatorEntry = {
        connectionId: mediationRecord.connectionId,
        mediationRecordId: mediationRecord.id,
        pickupMode,
        role: 'primary',
        addedAt: new Date().toISOString(),
      }
      const current = this.state.current ?? (await this.state.load(agentContext))
      await this.state.update(agentContext, { mediators: [...current.upstreamMediators(), entry] })
      this.agentContext = agentContext
      this.proxyRoutingKey = await this.state.proxyRoutingKey(agentContext)
      await this.startMediator(agentContext, entry)
    } finally {
      this.connecting = false
    }
  }

  /** Whether this connection is to one of the proxy's external mediators. */
  public isMediatorConnection(connectionId: string): boolean {
    return this.find(connectionId) !== undefined
  }

  /** The route new grants to agents name, while the primary mediator is picked up from; else undefined. */
  public primaryRoute(): { endpoint: string; routingKeys: string[] } | undefined {
    const primary = this.primary
    if (!primary?.grant.endpoint || !primary.session.isReady) return undefined
    return { endpoint: primary.grant.endpoint, routingKeys: primary.grant.routingKeys }
  }

  /** `init` with no mediator, then `ready` while the primary one is picked up from, `setup` while it is not. */
  public get currentState(): ProxyMediatorState {
    const primary = this.primary
    if (!primary) return 'init'
    return primary.session.isReady ? 'ready' : 'setup'
  }

  /** Why the state is what it is, in words an operator can act on. */
  public get stateReason(): string {
    const primary = this.primary
    if (!primary) return 'No external mediator is set up yet: give the proxy a mediator invitation.'
    if (primary.session.isReady) return `Picking up from the external mediator (${primary.entry.pickupMode}).`
    const { lastError } = primary.session
    const socket = primary.session.socketState
    return `Not picking up from the external mediator (socket ${socket}${lastError ? `; last error: ${lastError}` : ''}); reconnecting.`
  }

  /** The primary mediator, as in earlier versions' `upstream`. */
  public primaryStatus(): UpstreamStatus {
    const primary = this.primary
    return primary ? this.describe(primary) : { routingKeys: [], socketState: 'none', reconnects: 0 }
  }

  public list(): UpstreamMediatorStatus[] {
    return this.mediators.map((mediator) => ({
      ...this.describe(mediator),
      id: mediator.entry.connectionId,
      role: mediator.entry.role,
      state: mediator.session.isReady ? 'ready' : 'setup',
      addedAt: mediator.entry.addedAt,
    }))
  }

  private get primary(): UpstreamMediator | undefined {
    return this.mediators.find((mediator) => mediator.entry.role === 'primary') ?? this.mediators[0]
  }

  private find(connectionId: string): UpstreamMediator | undefined {
    return this.mediators.find((mediator) => mediator.entry.connectionId === connectionId)
  }

  private describe({ entry, grant, session }: UpstreamMediator): UpstreamStatus {
    return {
      mediatorConnectionId: entry.connectionId,
      endpoint: grant.endpoint,
      routingKeys: grant.routingKeys.map(verkeyToDidKey),
      proxyRoutingKey: this.proxyRoutingKey ? verkeyToDidKey(this.proxyRoutingKey) : undefined,
      pickupMode: entry.pickupMode,
      socketState: session.socketState,
      lastPickupAt: this.channel.lastPickupAt(entry.connectionId)?.toISOString(),
      reconnects: session.reconnects,
      lastError: session.lastError,
    }
  }

  private async startMediator(agentContext: AgentContext, entry: UpstreamMediatorEntry): Promise<void> {
    const record = await this.mediationRepository.findById(agentContext, entry.mediationRecordId)
    const grant = { endpoint: record?.endpoint, routingKeys: record?.routingKeys ?? [] }
    const session = new UpstreamSession(
      this.sessionDependencies,
      agentContext,
      entry.connectionId,
      entry.pickupMode,
      () => this.publishState(),
    )
    this.mediators.push({ entry, grant, session })
    this.publishState()
    await this.channel.open(agentContext, entry.connectionId)
    await session.start()
  }

  /** Emits `ProxyMediatorStateChanged` on every transition; a listener that throws changes nothing here. */
  private publishState(): void {
    const state = this.currentState
    if (state === this.publishedState) return
    const previousState = this.publishedState
    this.publishedState = state
    const { agentContext } = this
    if (!agentContext) return
    try {
      agentContext.config.logger.info(`Proxy mediator is ${state}`)
      this.eventEmitter.emit<ProxyMediatorStateChangedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.StateChanged,
        payload: { previousState, state },
      })
    } catch {
      // Nothing on the side may break the main path.
    }
  }
}
