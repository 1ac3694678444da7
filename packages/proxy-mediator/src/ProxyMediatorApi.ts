import { AgentContext, type EncryptedMessage, injectable } from '@credo-ts/core'
import { AlreadyConnectedError } from './errors/AlreadyConnectedError'
import { SetupInProgressError } from './errors/SetupInProgressError'
import type { ActivePickupMode, ProxyMediatorState, ProxyMediatorStatus } from './models/ProxyMediatorStatus'
import { AgentDirectory } from './services/AgentDirectory'
import { type DeadLetter, DeadLetterStore } from './services/DeadLetterStore'
import { DownstreamMediationService } from './services/DownstreamMediationService'
import { type ForwardAcceptance, OutboxService } from './services/OutboxService'
import { OwnKeysService } from './services/OwnKeysService'
import { PickupAcknowledger } from './services/PickupAcknowledger'
import { ProxyMediatorStateService } from './services/ProxyMediatorStateService'
import { RelayCounters } from './services/RelayCounters'
import { RelayRetryLoop } from './services/RelayRetryLoop'
import { RelayService } from './services/RelayService'
import { UpstreamMediationService } from './services/UpstreamMediationService'
import { UpstreamPickupService } from './services/UpstreamPickupService'
import { UpstreamSocketFastPath } from './services/UpstreamSocketFastPath'
import { MediationRepository } from '@credo-ts/core'
import { verkeyToDidKey } from './utils/keys'

/** How long `stop()` waits for relays in flight before giving up on them (they stay unacknowledged). */
const STOP_DRAIN_TIMEOUT_MS = 10_000

/** `agent.modules.proxyMediator` */
@injectable()
export class ProxyMediatorApi {
  private connecting = false

  public constructor(
    private readonly agentContext: AgentContext,
    private readonly state: ProxyMediatorStateService,
    private readonly upstream: UpstreamMediationService,
    private readonly pickup: UpstreamPickupService,
    private readonly downstream: DownstreamMediationService,
    private readonly directory: AgentDirectory,
    private readonly outbox: OutboxService,
    private readonly relayService: RelayService,
    private readonly retryLoop: RelayRetryLoop,
    private readonly acknowledger: PickupAcknowledger,
    private readonly counters: RelayCounters,
    private readonly mediationRepository: MediationRepository,
    private readonly ownKeys: OwnKeysService,
    private readonly socketFastPath: UpstreamSocketFastPath,
    private readonly deadLetters: DeadLetterStore,
  ) {}

  /**
   * Loads the proxy's state and, if an external mediator was set up before, resumes pickup and
   * the outbox. Call it once after `agent.initialize()`; a restart needs no other call.
   */
  public async start(): Promise<void> {
    const current = await this.state.load(this.agentContext)
    this.retryLoop.start()
    await this.directory.load(this.agentContext)
    const pending = await this.outbox.resume(this.agentContext)
    if (pending > 0) this.agentContext.config.logger.info(`Resuming ${pending} undelivered messages from the outbox`)
    await this.refreshUpstreamGrant()
    if (current.mediatorConnectionId && current.pickupMode) {
      await this.startPickup(current.mediatorConnectionId, current.pickupMode)
    }
  }

  /**
   * Connects to the external mediator, obtains mediation, registers the proxy's routing key
   * and starts pickup. Resolves once pickup runs. Refused while a mediator is configured.
   */
  public async connectToMediator(invitationUrl: string): Promise<ProxyMediatorStatus> {
    if (!this.state.current) await this.state.load(this.agentContext)
    if (this.connecting) {
      throw new SetupInProgressError(
        'The proxy is connecting to an external mediator already; watch its status, and call again only if that set-up fails.',
      )
    }
    if (this.state.current?.mediatorConnectionId) {
      throw new AlreadyConnectedError(
        `The proxy is already set up with an external mediator (status: ${this.currentState()}); this version keeps one external mediator, so nothing was changed.`,
      )
    }
    this.connecting = true
    try {
      const invitation = await this.upstream.parseInvitation(this.agentContext, invitationUrl)
      const mediationRecord = await this.upstream.requestMediation(this.agentContext, invitation)
      await this.upstream.registerRoutingKey(this.agentContext, mediationRecord)
      const pickupMode = await this.upstream.choosePickupMode(this.agentContext, mediationRecord)
      await this.state.update(this.agentContext, {
        mediatorConnectionId: mediationRecord.connectionId,
        mediationRecordId: mediationRecord.id,
        pickupMode,
      })
      // Read before pickup starts, so that the status returned (and every one after) is complete.
      await this.refreshUpstreamGrant()
      await this.startPickup(mediationRecord.connectionId, pickupMode)
      return this.getStatus()
    } finally {
      this.connecting = false
    }
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

  /** Messages acknowledged upstream that will never be relayed, newest first, still encrypted as they came. */
  public getDeadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.deadLetters.list(this.agentContext, limit)
  }

  /**
   * Takes a forward posted straight to the proxy's routing key, without Credo's pipeline, so that
   * a transport can answer at once: accepted (in the outbox, relayed after), or refused with the
   * reason. Anything not for the routing key is left to the transport (`not-for-routing-key`).
   */
  public acceptForward(envelope: EncryptedMessage): Promise<ForwardAcceptance> {
    return this.outbox.acceptEnvelope(this.agentContext, envelope)
  }

  public getStatus(): ProxyMediatorStatus {
    const current = this.state.current
    return {
      status: this.currentState(),
      upstream: {
        mediatorConnectionId: current?.mediatorConnectionId,
        ...this.upstreamGrant,
        pickupMode: this.pickup.mode,
        socketState: this.pickup.socketState,
        lastPickupAt: this.pickup.lastPickupAt?.toISOString(),
        reconnects: this.pickup.reconnects,
        lastError: this.pickup.lastError,
      },
      agents: this.directory.list(),
      counters: this.counters.snapshot(),
    }
  }

  /** Graceful stop: no more pickup, relays in flight finish, their acknowledgements go out. */
  public async stop(): Promise<void> {
    this.pickup.stop()
    this.directory.stop()
    this.socketFastPath.disable()
    this.retryLoop.stop()
    await this.relayService.drain(STOP_DRAIN_TIMEOUT_MS)
    await this.acknowledger.flush()
    this.relayService.close()
  }

  private async startPickup(connectionId: string, mode: ActivePickupMode): Promise<void> {
    if (mode === 'live') await this.socketFastPath.enable(this.agentContext, connectionId)
    await this.pickup.start(this.agentContext, connectionId, mode)
  }

  private upstreamGrant: { endpoint?: string; routingKeys: string[]; proxyRoutingKey?: string } = { routingKeys: [] }

  private currentState(): ProxyMediatorState {
    if (!this.state.current?.mediatorConnectionId) return 'init'
    return this.pickup.state === 'ready' ? 'ready' : 'setup'
  }

  /** Status is read synchronously, so the grant details are read once the grant exists. */
  private async refreshUpstreamGrant(): Promise<void> {
    const id = this.state.current?.mediationRecordId
    if (!id) return
    const record = await this.mediationRepository.findById(this.agentContext, id)
    if (!record) return
    const proxyKey = record.recipientKeys[0]
    this.upstreamGrant = {
      endpoint: record.endpoint,
      routingKeys: record.routingKeys.map(verkeyToDidKey),
      proxyRoutingKey: proxyKey ? verkeyToDidKey(proxyKey) : undefined,
    }
  }
}
