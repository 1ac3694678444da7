import { type AgentContext, KeylistUpdateAction, injectable } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { ProxyMediatorStateService } from '../../ProxyMediatorStateService'
import { MediatorChangeRefusedError } from '../../errors/MediatorChangeRefusedError'
import { MediatorNotFoundError } from '../../errors/MediatorNotFoundError'
import { SetupInProgressError } from '../../errors/SetupInProgressError'
import type {
  MediatorChange,
  UpstreamMediatorRole,
  UpstreamMediatorStatus,
  UpstreamStatus,
} from '../../models/ProxyMediatorStatus'
import type { UpstreamMediatorEntry } from '../../repository/ProxyMediatorStateRecord'
import { AgentDirectory } from '../relay/AgentDirectory'
import { StorageHealth } from '../relay/StorageHealth'
import { type KeylistChange, KeylistMirror } from './KeylistMirror'
import { ReceivedMediatorInvitations } from './ReceivedMediatorInvitations'
import { UpstreamChannel } from './UpstreamChannel'
import { UpstreamFailover } from './UpstreamFailover'
import { UpstreamMediationService } from './UpstreamMediationService'
import type { UpstreamMediator } from './UpstreamMediator'
import { UpstreamMediatorFactory } from './UpstreamMediatorFactory'
import { UpstreamMediatorSet } from './UpstreamMediatorSet'

/** How long a removal waits for the mediator to say what it still holds. */
const HELD_MESSAGES_QUERY_TIMEOUT_MS = 5_000

/**
 * The proxy as mediation recipient of its external mediators: the set, their roles (one primary,
 * named in new grants to agents), and what is stored of them. Each mediator is an object of its
 * own (`UpstreamMediator`, with its connection, grant, keys, session and acknowledgements); which
 * one new grants name, and so the proxy's upstream state, is `UpstreamFailover`'s. Everything a
 * status or a grant needs is held in memory, so neither reads storage.
 */
@injectable()
export class UpstreamMediators {
  private changing = false
  private readonly keylistMirror = new KeylistMirror((target, error, sentAgain) =>
    this.agentContext?.config.logger.error(
      `Could not mirror the agents' keylist changes to external mediator ${target.id}: ${error.message}; ${
        sentAgain
          ? 'they are sent again with its next change, and when it is picked up from again'
          : 'it refused them, so they are not sent again: the agent must update its keylist again'
      }`,
    ),
  )
  private agentContext?: AgentContext

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly state: ProxyMediatorStateService,
    private readonly recipient: UpstreamMediationService,
    private readonly invitations: ReceivedMediatorInvitations,
    private readonly directory: AgentDirectory,
    private readonly mediators: UpstreamMediatorSet,
    private readonly failover: UpstreamFailover,
    private readonly factory: UpstreamMediatorFactory,
    private readonly storage: StorageHealth,
    channel: UpstreamChannel,
  ) {
    storage.onChange(() => {
      for (const { session } of this.mediators.all()) {
        if (storage.failure) session.pause()
        else session.resume()
      }
      this.failover.publish()
    })
    // Paused, a mediator still wrote as many messages as memory may hold: its sockets are closed.
    storage.onHoldLimit(() => {
      for (const mediator of this.mediators.all()) {
        if (mediator.entry.pickupMode === 'implicit') {
          channel.closeSockets(mediator, 'the proxy cannot store more messages for now')
        }
      }
    })
  }

  /** Resumes pickup from every mediator set up before (a restart needs no call). */
  public async start(agentContext: AgentContext): Promise<void> {
    this.agentContext = agentContext
    this.failover.start(agentContext)
    await this.state.proxyRoutingKey(agentContext)
    for (const entry of await this.entries(agentContext)) {
      const started = this.mediators.get(entry.connectionId)
      if (started) await this.startPickup(started)
      else await this.startMediator(agentContext, entry)
    }
  }

  /** No more pickup; acknowledgements can still go out until `stop`. */
  public async stopPickup(): Promise<void> {
    for (const mediator of this.mediators.all()) mediator.stopPickup()
    // After the sessions: each one that stops publishes, which would arm the failover timer again.
    this.failover.stop()
  }

  /** Writes the acknowledgements still pending. */
  public async stop(): Promise<void> {
    await this.stopPickup()
    await Promise.all(this.mediators.all().map((mediator) => mediator.close()))
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
        mediatorId: known.id,
        role: known.role,
        detail: 'The proxy is already set up with this external mediator; nothing was changed.',
      })
      // The same invitation again (a script that calls twice): known by its id, before any connection.
      const receipts = await this.invitations.receiptsOf(agentContext, invitation)
      for (const { connectionIds } of receipts) {
        const known = connectionIds.map((id) => this.mediators.get(id)).find(Boolean)
        if (known) return unchanged(known)
      }
      // Received before by a mediator the proxy no longer has (removed, or a set-up a crash cut
      // short): Credo would refuse the invitation as "already received", so what is left of that
      // attempt is forgotten, and the mediator is connected to afresh.
      for (const { record } of receipts) await this.invitations.forget(agentContext, record)
      const mediationRecord = await this.recipient.requestMediation(agentContext, invitation)
      // Another invitation of a mediator the proxy has: known by the grant, which names the same route.
      const known = this.mediators
        .all()
        .find(
          ({ id, grant }) =>
            id === mediationRecord.connectionId ||
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
      const previousPrimary = this.failover.primary
      const role: UpstreamMediatorRole = !previousPrimary || primary ? 'primary' : 'standby'
      const entry: UpstreamMediatorEntry = {
        connectionId: mediationRecord.connectionId,
        mediationRecordId: mediationRecord.id,
        pickupMode,
        role,
        addedAt: new Date().toISOString(),
      }
      if (role === 'primary' && previousPrimary) previousPrimary.role = 'draining'
      await this.save(agentContext, [...this.mediators.all().map((mediator) => mediator.entry), entry])
      this.agentContext = agentContext
      this.failover.start(agentContext)
      await this.startMediator(agentContext, entry)
      return {
        result: 'added',
        mediatorId: entry.connectionId,
        role,
        previousPrimaryId: role === 'primary' ? previousPrimary?.id : undefined,
        detail: previousPrimary
          ? role === 'primary'
            ? `Added as primary; the previous primary ${previousPrimary.id} drains (still picked up from, named in no new grant).`
            : 'Added as standby: picked up from, named in no grant until promoted (or failed over to).'
          : 'Added as primary: picked up from, and named in every new grant.',
      }
    })
  }

  /** Makes this mediator the primary; the previous primary drains. */
  public async promote(agentContext: AgentContext, id: string): Promise<MediatorChange> {
    return this.exclusive(async () => {
      const mediator = this.get(id)
      const previous = this.failover.primary
      if (previous === mediator) {
        return { result: 'unchanged', mediatorId: id, role: 'primary', detail: 'It is the primary already.' }
      }
      mediator.role = 'primary'
      if (previous) previous.role = 'draining'
      await this.save(agentContext)
      this.failover.publish()
      agentContext.config.logger.info(`External mediator ${id} is primary now`, { previousPrimary: previous?.id })
      return {
        result: 'promoted',
        mediatorId: id,
        role: 'primary',
        previousPrimaryId: previous?.id,
        detail: `New grants name ${id}${previous ? `; ${previous.id} drains` : ''}.`,
      }
    })
  }

  /** Keeps picking up from this mediator, and names it in no new grant. The primary cannot drain: promote another first. */
  public async drain(agentContext: AgentContext, id: string): Promise<MediatorChange> {
    return this.exclusive(async () => {
      const mediator = this.get(id)
      if (mediator.role === 'primary') {
        throw new MediatorChangeRefusedError(
          `${id} is the primary: promote another mediator first (or add one as primary); it then drains by itself.`,
        )
      }
      mediator.role = 'draining'
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
      if (mediator.role === 'primary' && this.mediators.size > 1 && !force) {
        throw new MediatorChangeRefusedError(
          `${id} is the primary: promote another mediator first, then drain and remove this one.`,
        )
      }
      const heldMessages = mediator.isReady
        ? await mediator.session.refreshHeldMessages(HELD_MESSAGES_QUERY_TIMEOUT_MS)
        : mediator.heldMessages
      const { relaysInFlight } = mediator
      const holds = (heldMessages ?? 0) > 0 || relaysInFlight > 0
      // A mediator that is not picked up from cannot be asked: what it said before may be stale.
      const unknown = !mediator.isReady
      if ((holds || unknown) && !force) {
        throw new MediatorChangeRefusedError(
          unknown
            ? `${id} cannot be asked what it still holds (pickup is not running); wait until it is picked up from, or force the removal.`
            : `${id} still holds ${heldMessages ?? 0} messages for the proxy and ${relaysInFlight} are being relayed; let it drain, or force the removal.`,
        )
      }
      await mediator.close()
      this.mediators.delete(mediator)
      // The primary removed by force: the next mediator picked up from (a standby first) takes over.
      const successor = mediator.role === 'primary' && this.mediators.size > 0 ? this.failover.successor() : undefined
      if (successor) successor.role = 'primary'
      await this.save(agentContext)
      // Best effort: a mediator that still routes the proxy's key would queue messages nobody picks up.
      const routingKey = await this.state.proxyRoutingKey(agentContext)
      await mediator
        .updateKeylist([{ key: routingKey, action: KeylistUpdateAction.remove }])
        .catch((error) =>
          agentContext.config.logger.warn(`Could not unregister from ${id}: ${(error as Error).message}`),
        )
      if (holds || unknown) {
        agentContext.config.logger.warn(`Removed external mediator ${id} by force, abandoning what it held`, {
          heldMessages: heldMessages ?? 'unknown',
          relaysInFlight,
        })
      } else agentContext.config.logger.info(`Removed external mediator ${id}`)
      this.failover.publish()
      return {
        result: 'removed',
        mediatorId: id,
        newPrimaryId: successor?.id,
        abandoned: holds || unknown ? { heldMessages, relaysInFlight } : undefined,
        detail:
          holds || unknown
            ? 'Removed by force; what it held is abandoned.'
            : heldMessages === undefined
              ? `Removed; nothing picked up from it was being relayed. A mediator picked up from with ${mediator.pickupMode} pickup does not say what it still holds.`
              : 'Removed; it held nothing for the proxy.',
      }
    })
  }

  /**
   * In transparent mode, the agents' keylist changes, mirrored to every mediator so it routes them to
   * the proxy. What a mediator that did not answer has not taken is kept and sent again (`KeylistMirror`).
   */
  public async mirrorAgentKeys(agentContext: AgentContext, added: string[], removed: string[]): Promise<void> {
    this.agentContext ??= agentContext
    const changes: KeylistChange[] = [
      ...added.map((key) => ({ key, action: KeylistUpdateAction.add })),
      ...removed.map((key) => ({ key, action: KeylistUpdateAction.remove })),
    ]
    if (changes.length === 0) return
    await this.keylistMirror.mirror(this.mediators.all(), changes)
  }

  /** The primary mediator, as in earlier versions' `upstream`. */
  public primaryStatus(): UpstreamStatus {
    const primary = this.failover.primary
    return primary
      ? primary.describe(this.state.knownRoutingKey)
      : { routingKeys: [], socketState: 'none', reconnects: 0 }
  }

  /** Every mediator, the primary first. */
  public list(): UpstreamMediatorStatus[] {
    const holder = this.failover.routeHolder()
    const order = { primary: 0, standby: 1, draining: 2 }
    return this.mediators
      .all()
      .sort((a, b) => order[a.role] - order[b.role])
      .map((mediator) => ({
        ...mediator.describe(this.state.knownRoutingKey),
        id: mediator.id,
        role: mediator.role,
        state: mediator.isReady ? 'ready' : 'setup',
        addedAt: mediator.entry.addedAt,
        heldMessages: mediator.heldMessages,
        relaysInFlight: mediator.relaysInFlight,
        namedInGrants: mediator === holder,
      }))
  }

  private get(id: string): UpstreamMediator {
    const mediator = this.mediators.get(id)
    if (!mediator) {
      const ids = this.mediators.all().map((known) => known.id)
      throw new MediatorNotFoundError(
        `The proxy has no external mediator ${id}; its mediators are: ${ids.join(', ') || 'none'}.`,
      )
    }
    return mediator
  }

  private async entries(agentContext: AgentContext): Promise<UpstreamMediatorEntry[]> {
    return (this.state.current ?? (await this.state.load(agentContext))).upstreamMediators()
  }

  private async save(agentContext: AgentContext, entries = this.mediators.all().map((mediator) => mediator.entry)) {
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
    const mediator = await this.factory.create(agentContext, entry, (changed) => this.readyChanged(changed))
    this.mediators.add(mediator)
    this.failover.publish()
    await this.startPickup(mediator)
  }

  private async startPickup(mediator: UpstreamMediator): Promise<void> {
    if (this.storage.failure) mediator.session.pause()
    await mediator.start()
  }

  /** A mediator is picked up from, or no longer: the state may change; back, it gets the keylist changes it missed. */
  private readyChanged(mediator: UpstreamMediator): void {
    this.failover.publish()
    // Never throws.
    if (mediator.isReady) void this.keylistMirror.retry(mediator)
  }
}
