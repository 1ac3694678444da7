import { AgentContext, type EncryptedMessage, injectable } from '@credo-ts/core'
import { ProxyHealth } from './ProxyHealth'
import { ProxyMediatorLifecycle } from './ProxyMediatorLifecycle'
import type { MediatorChange, ProxyMediatorStatus } from './models/ProxyMediatorStatus'
import { DownstreamMediationService } from './services/downstream/DownstreamMediationService'
import {
  type DeadLetterActor,
  DeadLetterOperations,
  type DeadLetterReplayResult,
  type DeadLetterViewPage,
} from './services/relay/DeadLetterOperations'
import type { DeadLetterQuery } from './services/relay/DeadLetterStore'
import { OwnKeysService } from './services/relay/OwnKeysService'
import { type ForwardAcceptance, PostedForwards } from './services/relay/PostedForwards'
import { RelayPipeline } from './services/relay/RelayPipeline'
import { StorageHealth, storageStatusOf } from './services/relay/StorageHealth'
import { UpstreamFailover } from './services/upstream/UpstreamFailover'
import { UpstreamMediators } from './services/upstream/UpstreamMediators'

export type { ForwardAcceptance } from './services/relay/PostedForwards'

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
    private readonly deadLetters: DeadLetterOperations,
    private readonly storage: StorageHealth,
    private readonly health: ProxyHealth,
    private readonly failover: UpstreamFailover,
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
   * Messages acknowledged upstream that the proxy will not relay by itself, newest first, a page at
   * a time (`next` asks for the following one): why, when, the key and the agent that holds it now,
   * the size. Never the content, which stays in the encrypted store.
   */
  public getDeadLetterPage(query?: DeadLetterQuery): Promise<DeadLetterViewPage> {
    return this.deadLetters.page(this.agentContext, query)
  }

  /**
   * Relays these dead letters again, once the cause is fixed, through the same at-least-once
   * pipeline: each one accepted into the outbox stops being a dead letter (and becomes one again if
   * it fails for good again). Logged with `actor.by`.
   */
  public replayDeadLetters(ids: readonly string[], actor?: DeadLetterActor): Promise<DeadLetterReplayResult> {
    return this.deadLetters.replay(this.agentContext, ids, actor)
  }

  /** Relays again every dead letter for a key of this agent. Logged with `actor.by`. */
  public replayDeadLettersOf(connectionId: string, actor?: DeadLetterActor): Promise<DeadLetterReplayResult> {
    return this.deadLetters.replayAgent(this.agentContext, connectionId, actor)
  }

  /** Deletes these dead letters for good; resolves with how many there were. Logged with `actor.by`. */
  public deleteDeadLetters(ids: readonly string[], actor?: DeadLetterActor): Promise<number> {
    return this.deadLetters.delete(this.agentContext, ids, actor)
  }

  /** Deletes every dead letter of this agent, or every one without `connectionId`. Logged with `actor.by`. */
  public deleteAllDeadLetters(options: { connectionId?: string } & DeadLetterActor = {}): Promise<number> {
    return this.deadLetters.deleteAll(this.agentContext, options.connectionId, options)
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
      status: this.health.state,
      reason: this.health.reason,
      upstream: this.upstream.primaryStatus(),
      mediators: this.upstream.list(),
      failovers: this.failover.failovers,
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
