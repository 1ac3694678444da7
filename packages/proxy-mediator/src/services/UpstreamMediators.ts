import {
  type AgentContext,
  ConnectionService,
  EventEmitter,
  KeylistUpdateAction,
  MediationRepository,
  MessagePickupApi,
  MessageSender,
  type OutOfBandRecord,
  OutOfBandRepository,
  OutOfBandRole,
  injectable,
} from '@credo-ts/core'
import {
  ProxyMediatorEventTypes,
  type UpstreamChangedEvent,
  type UpstreamStatusReceivedEvent,
} from '../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { MediatorChangeRefusedError } from '../errors/MediatorChangeRefusedError'
import { MediatorNotFoundError } from '../errors/MediatorNotFoundError'
import { SetupInProgressError } from '../errors/SetupInProgressError'
import type {
  ActivePickupMode,
  MediatorChange,
  ProxyMediatorState,
  UpstreamMediatorRole,
  UpstreamMediatorStatus,
  UpstreamStatus,
} from '../models/ProxyMediatorStatus'
import type { UpstreamMediatorEntry } from '../repository/ProxyMediatorStateRecord'
import { verkeyToDidKey } from '../utils/keys'
import { AgentDirectory } from './AgentDirectory'
import { type KeylistChange, KeylistMirror, type KeylistMirrorTarget } from './KeylistMirror'
import { ProxyMediatorStateService } from './ProxyMediatorStateService'
import { RelayPipeline } from './RelayPipeline'
import { StorageHealth } from './StorageHealth'
import { UpstreamChannel } from './UpstreamChannel'
import { UpstreamMediationService } from './UpstreamMediationService'
import { UpstreamSession, type UpstreamSessionDependencies } from './UpstreamSession'

/** The grant an external mediator gave the proxy: where senders reach it, and its routing keys (base58). */
interface UpstreamGrant {
  endpoint?: string
  routingKeys: string[]
}

interface UpstreamMediator {
  entry: UpstreamMediatorEntry
  grant: UpstreamGrant
  session: UpstreamSession
}

/** How long a removal waits for the mediator to say what it still holds. */
const HELD_MESSAGES_QUERY_TIMEOUT_MS = 5_000

/**
 * The proxy as mediation recipient of its external mediators: each with its own connection, grant,
 * key registration and pickup session, all picked up from, one of them primary (named in new grants
 * to agents). The proxy's state (`init`, `setup`, `ready`) lives here with the sessions and is
 * emitted as `ProxyMediatorStateChanged` the moment it changes. Everything a status or a grant
 * needs is held in memory, so neither reads storage.
 */
@injectable()
export class UpstreamMediators {
  private readonly mediators: UpstreamMediator[] = []
  private readonly sessionDependencies: UpstreamSessionDependencies
  private agentContext?: AgentContext
  private changing = false
  private publishedState: ProxyMediatorState = 'init'
  private publishedHolderId?: string
  private proxyRoutingKey?: string
  private routeHolderId?: string
  private failoverTimer?: NodeJS.Timeout
  private failoverCount = 0
  private readonly keylistMirror = new KeylistMirror((target, error, sentAgain) =>
    this.agentContext?.config.logger.error(
      `Could not mirror the agents' keylist changes to external mediator ${target.id}: ${error.message}; ${
        sentAgain
          ? 'they are sent again with its next change, and when it is picked up from again'
          : 'it refused them, so they are not sent again: the agent must update its keylist again'
      }`,
    ),
  )

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly eventEmitter: EventEmitter,
    messagePickupApi: MessagePickupApi,
    private readonly connectionService: ConnectionService,
    messageSender: MessageSender,
    private readonly mediationRepository: MediationRepository,
    private readonly outOfBandRepository: OutOfBandRepository,
    private readonly state: ProxyMediatorStateService,
    private readonly recipient: UpstreamMediationService,
    private readonly channel: UpstreamChannel,
    private readonly pipeline: RelayPipeline,
    private readonly directory: AgentDirectory,
    private readonly storage: StorageHealth,
  ) {
    this.sessionDependencies = { config, messagePickupApi, connectionService, messageSender, channel }
    eventEmitter.on<UpstreamStatusReceivedEvent>(ProxyMediatorEventTypes.UpstreamStatusReceived, ({ payload }) =>
      this.find(payload.connectionId)?.session.noteStatus(payload.messageCount),
    )
    storage.onChange(() => {
      for (const { session } of this.mediators) {
        if (storage.failure) session.pause()
        else session.resume()
      }
      this.publishState()
    })
    // Paused, a mediator still wrote as many messages as memory may hold: its sockets are closed.
    storage.onHoldLimit(() => {
      for (const { entry } of this.mediators) {
        if (entry.pickupMode === 'implicit') {
          channel.closeSockets(entry.connectionId, 'the proxy cannot store more messages for now')
        }
      }
    })
  }

  /** Resumes pickup from every mediator set up before (a restart needs no call). */
  public async start(agentContext: AgentContext): Promise<void> {
    this.agentContext = agentContext
    this.proxyRoutingKey = await this.state.proxyRoutingKey(agentContext)
    for (const entry of await this.entries(agentContext)) {
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
    clearTimeout(this.failoverTimer)
    for (const { session } of this.mediators) session.stop()
  }

  /** Writes the acknowledgements still pending and closes the channel. */
  public async stop(): Promise<void> {
    await this.stopPickup()
    await this.channel.closeAll()
  }

  /**
   * Connects to an external mediator, obtains mediation, registers the proxy's routing key (and in
   * transparent mode the agents' keys) and starts pickup; resolves once pickup runs. The first one
   * is primary; a later one is primary when asked (the old primary then drains), else standby. An
   * invitation of a mediator the proxy already has changes nothing.
   */
  public async add(agentContext: AgentContext, invitationUrl: string, primary: boolean): Promise<MediatorChange> {
    return this.exclusive(async () => {
      const invitation = await this.recipient.parseInvitation(agentContext, invitationUrl)
      const unchanged = (known: UpstreamMediator): MediatorChange => ({
        result: 'unchanged',
        mediatorId: known.entry.connectionId,
        role: known.entry.role,
        detail: 'The proxy is already set up with this external mediator; nothing was changed.',
      })
      // The same invitation again (a script that calls twice): known by its id, before any connection.
      const received = await this.outOfBandRepository.findByQuery(agentContext, {
        invitationId: invitation.id,
        role: OutOfBandRole.Receiver,
      })
      for (const record of received) {
        const connections = await this.connectionService.findAllByOutOfBandId(agentContext, record.id)
        const known = connections.map((connection) => this.find(connection.id)).find(Boolean)
        if (known) return unchanged(known)
      }
      // Received before by a mediator the proxy no longer has (removed, or a set-up a crash cut
      // short): Credo would refuse the invitation as "already received", so what is left of that
      // attempt is forgotten, and the mediator is connected to afresh.
      for (const record of received) await this.forgetAttempt(agentContext, record)
      const mediationRecord = await this.recipient.requestMediation(agentContext, invitation)
      // Another invitation of a mediator the proxy has: known by the grant, which names the same route.
      const known = this.mediators.find(
        ({ entry, grant }) =>
          entry.connectionId === mediationRecord.connectionId ||
          (grant.endpoint === mediationRecord.endpoint &&
            grant.routingKeys.join() === mediationRecord.routingKeys.join()),
      )
      if (known) return unchanged(known)
      await this.recipient.registerRoutingKey(agentContext, mediationRecord)
      if (this.config.relayMode === 'transparent') {
        const keys = [...this.directory.agentsByKey.keys()]
        await this.recipient.updateKeylist(
          agentContext,
          mediationRecord,
          keys.map((key) => ({ key, action: KeylistUpdateAction.add })),
        )
      }
      const pickupMode = await this.recipient.choosePickupMode(agentContext, mediationRecord)
      const previousPrimary = this.primary
      const role: UpstreamMediatorRole = !previousPrimary || primary ? 'primary' : 'standby'
      const entry: UpstreamMediatorEntry = {
        connectionId: mediationRecord.connectionId,
        mediationRecordId: mediationRecord.id,
        pickupMode,
        role,
        addedAt: new Date().toISOString(),
      }
      if (role === 'primary' && previousPrimary) previousPrimary.entry.role = 'draining'
      await this.save(agentContext, [...this.mediators.map((mediator) => mediator.entry), entry])
      this.agentContext = agentContext
      this.proxyRoutingKey = await this.state.proxyRoutingKey(agentContext)
      await this.startMediator(agentContext, entry)
      return {
        result: 'added',
        mediatorId: entry.connectionId,
        role,
        previousPrimaryId: role === 'primary' ? previousPrimary?.entry.connectionId : undefined,
        detail: previousPrimary
          ? role === 'primary'
            ? `Added as primary; the previous primary ${previousPrimary.entry.connectionId} drains (still picked up from, named in no new grant).`
            : 'Added as standby: picked up from, named in no grant until promoted (or failed over to).'
          : 'Added as primary: picked up from, and named in every new grant.',
      }
    })
  }

  /** An earlier, abandoned use of an invitation: its connections, their mediations, and the invitation itself. */
  private async forgetAttempt(agentContext: AgentContext, outOfBandRecord: OutOfBandRecord): Promise<void> {
    for (const connection of await this.connectionService.findAllByOutOfBandId(agentContext, outOfBandRecord.id)) {
      const mediations = await this.mediationRepository.findByQuery(agentContext, { connectionId: connection.id })
      for (const mediation of mediations) await this.mediationRepository.delete(agentContext, mediation)
      await this.connectionService.deleteById(agentContext, connection.id)
    }
    await this.outOfBandRepository.delete(agentContext, outOfBandRecord)
    agentContext.config.logger.info('Forgot an earlier, abandoned connection through this mediator invitation', {
      outOfBandId: outOfBandRecord.id,
    })
  }

  /** Makes this mediator the primary; the previous primary drains. */
  public async promote(agentContext: AgentContext, id: string): Promise<MediatorChange> {
    return this.exclusive(async () => {
      const mediator = this.get(id)
      const previous = this.primary
      if (previous === mediator) {
        return { result: 'unchanged', mediatorId: id, role: 'primary', detail: 'It is the primary already.' }
      }
      mediator.entry.role = 'primary'
      if (previous) previous.entry.role = 'draining'
      await this.save(agentContext)
      this.publishState()
      agentContext.config.logger.info(`External mediator ${id} is primary now`, {
        previousPrimary: previous?.entry.connectionId,
      })
      return {
        result: 'promoted',
        mediatorId: id,
        role: 'primary',
        previousPrimaryId: previous?.entry.connectionId,
        detail: `New grants name ${id}${previous ? `; ${previous.entry.connectionId} drains` : ''}.`,
      }
    })
  }

  /** Keeps picking up from this mediator, and names it in no new grant. The primary cannot drain: promote another first. */
  public async drain(agentContext: AgentContext, id: string): Promise<MediatorChange> {
    return this.exclusive(async () => {
      const mediator = this.get(id)
      if (mediator.entry.role === 'primary') {
        throw new MediatorChangeRefusedError(
          `${id} is the primary: promote another mediator first (or add one as primary); it then drains by itself.`,
        )
      }
      mediator.entry.role = 'draining'
      await this.save(agentContext)
      return {
        result: 'draining',
        mediatorId: id,
        role: 'draining',
        detail: `${id} drains: picked up from, named in no new grant.`,
      }
    })
  }

  /**
   * Stops using this mediator and forgets it. Refused while it still holds messages for the proxy,
   * or while forwards picked up from it are being relayed, and for the primary; `force` removes it
   * anyway and logs what is abandoned.
   */
  public async remove(agentContext: AgentContext, id: string, force: boolean): Promise<MediatorChange> {
    return this.exclusive(async () => {
      const mediator = this.get(id)
      if (mediator.entry.role === 'primary' && this.mediators.length > 1 && !force) {
        throw new MediatorChangeRefusedError(
          `${id} is the primary: promote another mediator first, then drain and remove this one.`,
        )
      }
      const heldMessages = mediator.session.isReady
        ? await mediator.session.refreshHeldMessages(HELD_MESSAGES_QUERY_TIMEOUT_MS)
        : mediator.session.heldMessages
      const relaysInFlight = this.pipeline.relaysInFlightFrom(id)
      const holds = (heldMessages ?? 0) > 0 || relaysInFlight > 0
      // A mediator that is not picked up from cannot be asked: what it said before may be stale.
      const unknown = !mediator.session.isReady
      if ((holds || unknown) && !force) {
        throw new MediatorChangeRefusedError(
          unknown
            ? `${id} cannot be asked what it still holds (pickup is not running); wait until it is picked up from, or force the removal.`
            : `${id} still holds ${heldMessages ?? 0} messages for the proxy and ${relaysInFlight} are being relayed; let it drain, or force the removal.`,
        )
      }
      mediator.session.stop()
      await this.channel.close(id)
      this.mediators.splice(this.mediators.indexOf(mediator), 1)
      this.keylistMirror.forget(id)
      // The primary removed by force: the next mediator picked up from (a standby first) takes over.
      const successor = mediator.entry.role === 'primary' && this.mediators.length > 0 ? this.successorOf() : undefined
      if (successor) successor.entry.role = 'primary'
      await this.save(agentContext)
      // Best effort: a mediator that still routes the proxy's key would queue messages nobody picks up.
      const record = await this.mediationRepository.findById(agentContext, mediator.entry.mediationRecordId)
      if (record && this.proxyRoutingKey) {
        await this.recipient
          .updateKeylist(agentContext, record, [{ key: this.proxyRoutingKey, action: KeylistUpdateAction.remove }])
          .catch((error) =>
            agentContext.config.logger.warn(`Could not unregister from ${id}: ${(error as Error).message}`),
          )
      }
      if (holds || unknown) {
        agentContext.config.logger.warn(`Removed external mediator ${id} by force, abandoning what it held`, {
          heldMessages: heldMessages ?? 'unknown',
          relaysInFlight,
        })
      } else agentContext.config.logger.info(`Removed external mediator ${id}`)
      this.publishState()
      return {
        result: 'removed',
        mediatorId: id,
        newPrimaryId: successor?.entry.connectionId,
        abandoned: holds || unknown ? { heldMessages, relaysInFlight } : undefined,
        detail:
          holds || unknown ? 'Removed by force; what it held is abandoned.' : 'Removed; it held nothing for the proxy.',
      }
    })
  }

  /**
   * In transparent mode, the agents' keylist changes, mirrored to every mediator so it routes them to
   * the proxy. What a mediator that did not answer has not taken is kept and sent again (`KeylistMirror`).
   */
  public async mirrorAgentKeys(agentContext: AgentContext, added: string[], removed: string[]): Promise<void> {
    const changes: KeylistChange[] = [
      ...added.map((key) => ({ key, action: KeylistUpdateAction.add })),
      ...removed.map((key) => ({ key, action: KeylistUpdateAction.remove })),
    ]
    if (changes.length === 0) return
    await this.keylistMirror.mirror(
      this.mediators.map(({ entry }) => this.keylistTarget(agentContext, entry)),
      changes,
    )
  }

  private keylistTarget(agentContext: AgentContext, entry: UpstreamMediatorEntry): KeylistMirrorTarget {
    return {
      id: entry.connectionId,
      send: async (changes) => {
        const record = await this.mediationRepository.getById(agentContext, entry.mediationRecordId)
        await this.recipient.updateKeylist(agentContext, record, changes)
      },
    }
  }

  /** How the proxy picks up from the mediator of this connection; undefined for any other connection. */
  public pickupModeOf(connectionId: string): ActivePickupMode | undefined {
    return this.find(connectionId)?.entry.pickupMode
  }

  /** Whether this connection is to one of the proxy's external mediators. */
  public isMediatorConnection(connectionId: string): boolean {
    return this.find(connectionId) !== undefined
  }

  /** The route new grants to agents name, while its mediator is picked up from; else undefined. */
  public grantRoute(): { endpoint: string; routingKeys: string[] } | undefined {
    const holder = this.routeHolder()
    if (!holder?.grant.endpoint || !holder.session.isReady) return undefined
    return { endpoint: holder.grant.endpoint, routingKeys: holder.grant.routingKeys }
  }

  /** `init` with no mediator, then `ready` while the mediator new grants name is picked up from, else `setup`. */
  public get currentState(): ProxyMediatorState {
    const holder = this.routeHolder()
    if (!holder) return 'init'
    return holder.session.isReady ? 'ready' : 'setup'
  }

  /** Why the state is what it is, in words an operator can act on. */
  public get stateReason(): string {
    const primary = this.primary
    const holder = this.routeHolder()
    if (!primary || !holder) return 'No external mediator is set up yet: give the proxy a mediator invitation.'
    if (holder !== primary) {
      return `Failed over: the primary ${primary.entry.connectionId} is not picked up from, so new grants name ${holder.entry.connectionId}.`
    }
    if (primary.session.isReady) return `Picking up from the primary external mediator (${primary.entry.pickupMode}).`
    const storageFailure = this.storage.failure
    if (storageFailure && ['implicit', 'poll-v1'].includes(primary.entry.pickupMode)) {
      return `Not picking up from the primary external mediator: the proxy's store takes no writes since ${new Date(storageFailure.since).toISOString()} (${storageFailure.reason}), and what ${primary.entry.pickupMode} pickup takes must be written first. The mediator keeps it meanwhile; pickup resumes once a write succeeds.`
    }
    const { lastError, socketState, recovery } = primary.session
    return `Not picking up from the primary external mediator (socket ${socketState}${lastError ? `; last error: ${lastError}` : ''}); ${recovery}.`
  }

  /** The primary, while it is down and new grants name another mediator (failover). */
  public primaryFailedOver(): { id: string; downSince: number; holderId: string } | undefined {
    const primary = this.primary
    const holder = this.routeHolder()
    const downSince = primary?.session.downSince
    if (!primary || !holder || holder === primary || downSince === undefined) return undefined
    return { id: primary.entry.connectionId, downSince, holderId: holder.entry.connectionId }
  }

  public get failovers(): number {
    return this.failoverCount
  }

  /** The primary mediator, as in earlier versions' `upstream`. */
  public primaryStatus(): UpstreamStatus {
    const primary = this.primary
    return primary ? this.describe(primary) : { routingKeys: [], socketState: 'none', reconnects: 0 }
  }

  /** Every mediator, the primary first. */
  public list(): UpstreamMediatorStatus[] {
    const holder = this.routeHolder()
    const order = { primary: 0, standby: 1, draining: 2 }
    return [...this.mediators]
      .sort((a, b) => order[a.entry.role] - order[b.entry.role])
      .map((mediator) => ({
        ...this.describe(mediator),
        id: mediator.entry.connectionId,
        role: mediator.entry.role,
        state: mediator.session.isReady ? 'ready' : 'setup',
        addedAt: mediator.entry.addedAt,
        heldMessages: mediator.session.heldMessages,
        relaysInFlight: this.pipeline.relaysInFlightFrom(mediator.entry.connectionId),
        namedInGrants: mediator === holder,
      }))
  }

  private get primary(): UpstreamMediator | undefined {
    return this.mediators.find((mediator) => mediator.entry.role === 'primary') ?? this.mediators[0]
  }

  /** The primary, or while it has been down past the failover time, the next mediator that is picked up from. */
  private routeHolder(): UpstreamMediator | undefined {
    const primary = this.primary
    const after = this.config.primaryFailoverAfterMs
    const downSince = primary?.session.downSince
    if (!primary || after <= 0 || downSince === undefined || Date.now() - downSince < after) return primary
    const ready = (role: UpstreamMediatorRole) =>
      this.mediators.find((mediator) => mediator.entry.role === role && mediator.session.isReady)
    return ready('standby') ?? ready('draining') ?? primary
  }

  /** Who becomes primary when the primary goes: one picked up from, a standby before a draining one. */
  private successorOf(): UpstreamMediator | undefined {
    const byPreference = [...this.mediators].sort(
      (a, b) =>
        Number(b.session.isReady) - Number(a.session.isReady) ||
        Number(b.entry.role === 'standby') - Number(a.entry.role === 'standby'),
    )
    return byPreference[0]
  }

  private find(connectionId: string): UpstreamMediator | undefined {
    return this.mediators.find((mediator) => mediator.entry.connectionId === connectionId)
  }

  private get(id: string): UpstreamMediator {
    const mediator = this.find(id)
    if (!mediator) {
      throw new MediatorNotFoundError(
        `The proxy has no external mediator ${id}; its mediators are: ${this.mediators.map((m) => m.entry.connectionId).join(', ') || 'none'}.`,
      )
    }
    return mediator
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

  private async entries(agentContext: AgentContext): Promise<UpstreamMediatorEntry[]> {
    return (this.state.current ?? (await this.state.load(agentContext))).upstreamMediators()
  }

  private async save(agentContext: AgentContext, entries = this.mediators.map((mediator) => mediator.entry)) {
    await this.state.update(agentContext, { mediators: entries.map((entry) => ({ ...entry })) })
  }

  /** One change at a time: two set-ups at once would race for the primary. */
  private async exclusive<T>(change: () => Promise<T>): Promise<T> {
    if (this.changing) {
      throw new SetupInProgressError(
        'The proxy is changing its external mediators already; watch its status, and call again once that is done.',
      )
    }
    this.changing = true
    try {
      return await change()
    } finally {
      this.changing = false
    }
  }

  private async startMediator(agentContext: AgentContext, entry: UpstreamMediatorEntry): Promise<void> {
    const record = await this.mediationRepository.findById(agentContext, entry.mediationRecordId)
    const grant = { endpoint: record?.endpoint, routingKeys: record?.routingKeys ?? [] }
    const session: UpstreamSession = new UpstreamSession(
      this.sessionDependencies,
      agentContext,
      entry.connectionId,
      entry.pickupMode,
      () => {
        this.publishState()
        // Back after being down: what it missed of the agents' keylist goes now. Never throws.
        if (session.isReady) void this.keylistMirror.retry(this.keylistTarget(agentContext, entry))
      },
    )
    this.mediators.push({ entry, grant, session })
    this.publishState()
    await this.channel.open(agentContext, entry.connectionId)
    if (this.storage.failure) session.pause()
    await session.start()
  }

  /**
   * Tells `ProxyHealth` of every transition of the upstream state, and logs and counts a failover.
   * A listener or logger that throws changes nothing here.
   */
  private publishState(): void {
    const { agentContext } = this
    try {
      this.watchFailover()
      const holder = this.routeHolder()
      const holderId = holder?.entry.connectionId
      if (holderId !== this.routeHolderId) {
        const failedOver = holder !== undefined && holder !== this.primary
        if (failedOver) this.failoverCount++
        if (this.routeHolderId && agentContext) {
          const message = failedOver
            ? `Failing over: the primary external mediator is down, new grants name ${holderId}`
            : `New grants name ${holderId ?? 'no mediator'}`
          agentContext.config.logger.warn(message, { previous: this.routeHolderId })
        }
        this.routeHolderId = holderId
      }
      const state = this.currentState
      if (state === this.publishedState && holderId === this.publishedHolderId) return
      this.publishedState = state
      this.publishedHolderId = holderId
      if (!agentContext) return
      this.eventEmitter.emit<UpstreamChangedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.UpstreamChanged,
        payload: {},
      })
    } catch {
      // Nothing on the side may break the main path.
    }
  }

  /** While the primary is down and failover is on, look again when the failover time is up. */
  private watchFailover(): void {
    clearTimeout(this.failoverTimer)
    const after = this.config.primaryFailoverAfterMs
    const downSince = this.primary?.session.downSince
    if (after <= 0 || downSince === undefined) return
    const due = downSince + after - Date.now()
    if (due <= 0) return
    this.failoverTimer = setTimeout(() => this.publishState(), due + 10)
    this.failoverTimer.unref()
  }
}
