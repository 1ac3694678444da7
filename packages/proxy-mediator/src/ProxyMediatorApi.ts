import { AgentContext, type EncryptedMessage, injectable } from '@credo-ts/core'
import type { MediatorChange, ProxyMediatorStatus } from './models/ProxyMediatorStatus'
import { type DeadLetter, type DeadLetterPage, type DeadLetterQuery, DeadLetterStore } from './services/DeadLetterStore'
import { DownstreamMediationService } from './services/DownstreamMediationService'
import { OwnKeysService } from './services/OwnKeysService'
import { type ForwardAcceptance, PostedForwards } from './services/PostedForwards'
import { ProxyMediatorLifecycle } from './services/ProxyMediatorLifecycle'
import { RelayPipeline } from './services/RelayPipeline'
import { StorageHealth, storageStatusOf } from './services/StorageHealth'
import { UpstreamMediators } from './services/UpstreamMediators'

export type { ForwardAcceptance } from './services/PostedForwards'

/** `agent.modules.proxyMediator`: a facade; the work is in its collaborators. */
@injectable()
export class ProxyMediatorApi {
  public constructor(
    private readonly agentContext: AgentContext,
    private readonly lifecycle: ProxyMediatorLifecycle,
    private readonly upstream: UpstreamMediators,
    private readonly downstream: DownstreamMediationService,
    private readonly pipeline: RelayPipeline,
    private readonly ownKeys: OwnKeysService,
    private readonly postedForwards: PostedForwards,
    private readonly deadLetters: DeadLetterStore,
    private readonly storage: StorageHealth,
  ) {}

  /**
   * Resumes what was set up before: the outbox, and pickup from the external mediator. Call it
   * once after `agent.initialize()`; a restart needs no other call.
   */
  public start(): Promise<void> {
    return this.lifecycle.start(this.agentContext)
  }

  /**
   * Connects to an external mediator, obtains mediation, registers the proxy's routing key and
   * starts pickup; resolves once pickup runs, with a complete status and what changed. The first
   * mediator is primary. A later one is added as primary when `primary` is true (the default: the
   * previous primary drains, and the agents are told the new route), else as standby. The
   * invitation of a mediator the proxy already has changes nothing.
   */
  public async connectToMediator(
    invitationUrl: string,
    options: { primary?: boolean } = {},
  ): Promise<ProxyMediatorStatus & { change: MediatorChange }> {
    const change = await this.upstream.add(this.agentContext, invitationUrl, options.primary ?? true)
    if (change.result === 'added' && change.previousPrimaryId) {
      change.agentsAnnouncedTo = await this.downstream.announceRoute(this.agentContext)
    }
    return { ...this.getStatus(), change }
  }

  /** Makes this mediator the primary (the previous one drains) and tells the agents the new route. */
  public async promoteMediator(id: string): Promise<MediatorChange> {
    const change = await this.upstream.promote(this.agentContext, id)
    if (change.result === 'promoted') change.agentsAnnouncedTo = await this.downstream.announceRoute(this.agentContext)
    return change
  }

  /** Keeps picking up from this mediator and names it in no new grant. */
  public drainMediator(id: string): Promise<MediatorChange> {
    return this.upstream.drain(this.agentContext, id)
  }

  /** Forgets this mediator; refused while it holds messages for the proxy unless `force`, which logs what is abandoned. */
  public async removeMediator(id: string, options: { force?: boolean } = {}): Promise<MediatorChange> {
    const change = await this.upstream.remove(this.agentContext, id, options.force ?? false)
    if (change.newPrimaryId) change.agentsAnnouncedTo = await this.downstream.announceRoute(this.agentContext)
    return change
  }

  /** Sends every mediated agent a fresh grant with the route new grants name now; resolves with how many. */
  public announceRoute(): Promise<number> {
    return this.downstream.announceRoute(this.agentContext)
  }

  /** The invitation for agents, made once and kept across restarts. */
  public async getAgentInvitation(): Promise<{ invitationUrl: string }> {
    const { invitationUrl } = await this.downstream.getAgentInvitation(this.agentContext)
    return { invitationUrl }
  }

  /**
   * Whether an inbound envelope is addressed to a key of this proxy. A transport can refuse
   * one that is not at once, instead of letting Credo fail to decrypt it.
   */
  public isAddressedToProxy(envelope: EncryptedMessage): Promise<boolean> {
    return this.ownKeys.isAddressedToUs(this.agentContext, envelope)
  }

  /**
   * Messages acknowledged upstream that will never be relayed, newest first, still encrypted as they
   * came (or as their size and digest, when too large to keep): the first page (`getDeadLetterPage`).
   */
  public async getDeadLetters(limit?: number): Promise<DeadLetter[]> {
    return (await this.getDeadLetterPage({ limit })).deadLetters
  }

  /** The dead letters a page at a time, bounded by count and by bytes; `next` asks for the following page. */
  public getDeadLetterPage(query?: DeadLetterQuery): Promise<DeadLetterPage> {
    return this.deadLetters.page(this.agentContext, query)
  }

  /**
   * Takes a forward posted straight to the proxy (an envelope for one of its keys: ask
   * `isAddressedToProxy` first), without Credo's pipeline, so that a transport can answer at once:
   * accepted (in the outbox, relayed after), or refused with the reason, a key no agent registered
   * included; nothing refused is kept. What is not a forward is left to the transport (`not-a-forward`).
   */
  public acceptForward(envelope: EncryptedMessage): Promise<ForwardAcceptance> {
    return this.postedForwards.accept(this.agentContext, envelope)
  }

  /** Synchronous and cheap: everything in it is held in memory. */
  public getStatus(): ProxyMediatorStatus {
    return {
      status: this.upstream.currentState,
      reason: this.upstream.stateReason,
      upstream: this.upstream.primaryStatus(),
      mediators: this.upstream.list(),
      failovers: this.upstream.failovers,
      agents: this.downstream.listAgents(),
      counters: this.pipeline.counters.snapshot(),
      storage: storageStatusOf(this.storage.failure),
    }
  }

  /** Graceful stop: no more pickup, relays in flight finish, their acknowledgements go out. */
  public stop(): Promise<void> {
    return this.lifecycle.stop()
  }
}
