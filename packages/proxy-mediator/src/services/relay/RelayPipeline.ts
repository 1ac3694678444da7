import { type AgentContext, type EncryptedMessage, EventEmitter, injectable } from '@credo-ts/core'
import {
  type AgentHealthChangedEvent,
  type MessageDeadLetteredEvent,
  type MessageRelayedEvent,
  ProxyMediatorEventTypes,
  type RelayFailedEvent,
} from '../../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { StorageUnavailableError } from '../../errors/StorageUnavailableError'
import { OutboxRecord } from '../../repository/OutboxRecord'
import { OutboxRepository } from '../../repository/OutboxRepository'
import { StorageProbeRecord } from '../../repository/StorageProbeRecord'
import { StorageProbeRepository } from '../../repository/StorageProbeRepository'
import { Egress } from '../../transport/Egress'
import { backoffDelay } from '../../utils/backoff'
import { describeRelayFailure } from '../../utils/describeRelayFailure'
import { type ForwardRefusalCode, type ParsedForward, parseForward } from '../../utils/envelope'
import { sideEffect } from '../../utils/sideEffect'
import { AgentDirectory, type DownstreamAgent } from './AgentDirectory'
import { DeadLetterStore } from './DeadLetterStore'
import { LiveRelayCounters } from './LiveRelayCounters'
import { RelayHttpClient } from './RelayHttpClient'
import { StorageHealth } from './StorageHealth'

/**
 * Where a forward came from, which says how it is settled once the agent answered 2xx (or once it
 * can never be relayed): nothing is settled before that, so nothing is lost.
 */
export type ForwardSource =
  /** Picked up with pickup 2.0: settled by acknowledging it upstream; until then the mediator keeps it. */
  | { kind: 'pickup'; channelId: string; messageId: string; acknowledge: () => void }
  /** Came with nothing to withhold (implicit pickup, pickup 1.0): kept in the outbox until settled. */
  | { kind: 'stream' }
  /** Posted straight to the proxy: refused at once to the sender, not kept; else kept in the outbox like a stream. */
  | { kind: 'posted' }

/**
 * What is relayed: the layer addressed to the proxy's routing key, still encrypted or decrypted by
 * Credo's pipeline; or, in transparent mode, the agent's own envelope, which is never opened.
 */
export type ForwardLayer =
  | { encrypted: unknown }
  | { plaintext: Record<string, unknown> }
  /** `recipientKey`: the agent's key, as the caller already found it in the header (read once per message). */
  | { unopened: EncryptedMessage; recipientKey: string }

export type Submission =
  | { kind: 'accepted' }
  /** The same picked-up message is being relayed, or was: nothing more is done for this copy. */
  | { kind: 'duplicate' }
  | { kind: 'refused'; code: ForwardRefusalCode | 'unknown_recipient'; reason: string }

type Settlement = 'relayed' | 'dead-lettered' | 'stopped'

type RelayAttempt =
  | { kind: 'relayed'; status: number }
  | { kind: 'gone'; reason: string }
  | { kind: 'failed'; reason: string; permanent: boolean }

/** A forward relayed from memory, and its outbox record once the store took it. */
interface HeldForward {
  forward: ParsedForward
  record?: OutboxRecord
}

/** How often an agent may reject the same message with a 4xx before the proxy gives up on it. */
const PERMANENT_REJECTION_ATTEMPTS = 3
/** How many acknowledged ids are remembered, to recognize a copy offered again before the ack landed. */
const REMEMBERED_ACKS = 10_000

/** Statuses that say "this message will never be accepted", as opposed to "try again later". */
function isPermanentRejection(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429
}

/**
 * The relay: every forward, whatever brought it, goes through `submit`. It reads the forward once,
 * finds the agent in memory, POSTs the agent's envelope unchanged until a 2xx (capped, jittered
 * backoff), and only then settles it with its source: an acknowledgement upstream, or the deletion
 * of its outbox record. It never touches Credo's generic message pipeline, which keeps it fast.
 */
@injectable()
export class RelayPipeline {
  private readonly client: RelayHttpClient
  /** Picked-up messages being relayed now, so that a copy offered again is not relayed twice at once. */
  private readonly claimed = new Set<string>()
  private readonly acknowledged = new Set<string>()
  private readonly running = new Set<Promise<void>>()
  /** Forwards taken while the store took no writes, being relayed from memory. */
  private readonly held = new Set<HeldForward>()
  private readonly sleepers = new Set<() => void>()
  private stopped = false
  private agentContext?: AgentContext

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly directory: AgentDirectory,
    private readonly outbox: OutboxRepository,
    private readonly deadLetters: DeadLetterStore,
    private readonly eventEmitter: EventEmitter,
    public readonly counters: LiveRelayCounters,
    private readonly storage: StorageHealth,
    private readonly probes: StorageProbeRepository,
    egress: Egress,
  ) {
    this.client = new RelayHttpClient(config.relayConcurrencyPerAgent, egress)
  }

  /**
   * Takes one forward. Resolves once it is accepted (claimed, or durably in the outbox) or refused;
   * the relay goes on after that, so a slow agent never holds up whoever submitted it.
   */
  public async submit(agentContext: AgentContext, layer: ForwardLayer, source: ForwardSource): Promise<Submission> {
    const ledgerKey = source.kind === 'pickup' ? `${source.channelId} ${source.messageId}` : undefined
    if (ledgerKey && source.kind === 'pickup') {
      // Offered again before our acknowledgement landed: acknowledging again is enough.
      if (this.acknowledged.has(ledgerKey)) {
        source.acknowledge()
        return { kind: 'duplicate' }
      }
      // Offered again while the first copy is still being relayed: the first one will acknowledge.
      if (this.claimed.has(ledgerKey)) return { kind: 'duplicate' }
      this.claimed.add(ledgerKey)
    }
    const release = () => ledgerKey && this.claimed.delete(ledgerKey)
    try {
      const parsed =
        'unopened' in layer
          ? { kind: 'forward' as const, forward: { recipientKey: layer.recipientKey, envelope: layer.unopened } }
          : await parseForward(agentContext, layer)
      const refusal = parsed.kind === 'refused' ? parsed : this.unknownRecipient(parsed.forward)
      if (refusal) {
        // The sender of a posted forward learns it from the answer, so nothing is kept.
        if (source.kind !== 'posted') {
          // A forward that was read is kept as the agent's envelope, anything else as it came.
          if (parsed.kind === 'forward') {
            this.deadLetter(agentContext, refusal.reason, parsed.forward.recipientKey, parsed.forward.envelope)
          } else this.deadLetter(agentContext, refusal.reason, undefined, layerEnvelope(layer))
          if (ledgerKey && source.kind === 'pickup') this.acknowledge(ledgerKey, source)
        }
        release()
        return refusal
      }
      const { forward } = parsed as Extract<typeof parsed, { kind: 'forward' }>
      if (ledgerKey && source.kind === 'pickup') {
        this.track(
          agentContext,
          this.relayUntilSettled(agentContext, forward)
            .then((settlement) => settlement !== 'stopped' && this.acknowledge(ledgerKey, source))
            .finally(release),
        )
      } else await this.acceptIntoOutbox(agentContext, forward, source.kind === 'posted')
      return { kind: 'accepted' }
    } catch (error) {
      release()
      throw error
    }
  }

  /**
   * A dead letter's forward, relayed again once its cause is fixed: into the outbox like a posted
   * forward, so that it is at-least-once from here on; refused (and nothing kept) when no agent
   * holds its key now.
   */
  public async resubmit(agentContext: AgentContext, forward: ParsedForward): Promise<Submission> {
    const refusal = this.unknownRecipient(forward)
    if (refusal) return refusal
    await this.acceptIntoOutbox(agentContext, forward, true)
    return { kind: 'accepted' }
  }

  /**
   * Writes the forward to the outbox and relays it from there. When the store takes no writes, a
   * forward whose sender can hear it (`refuseWhenFull`) is refused with StorageUnavailableError; one
   * taken from a mediator that keeps nothing of it is never dropped, but relayed from memory.
   */
  private async acceptIntoOutbox(agentContext: AgentContext, forward: ParsedForward, refuseWhenFull: boolean) {
    const record = new OutboxRecord(forward)
    try {
      await this.outbox.save(agentContext, record)
    } catch (error) {
      this.storage.failed(agentContext, error)
      if (refuseWhenFull) {
        throw new StorageUnavailableError(
          `The proxy cannot keep the forward: ${this.storage.failure?.reason}`,
          Math.ceil(this.config.storageProbeIntervalMs / 1000),
        )
      }
      this.holdInMemory(agentContext, forward)
      return
    }
    this.storage.succeeded(agentContext)
    this.counters.outbox++
    this.track(agentContext, this.relayFromOutbox(agentContext, record))
  }

  /**
   * A forward the outbox could not take (the store takes no writes): relayed from memory until the
   * agent answered, and written to the outbox as soon as the store takes writes again, so that a
   * restart from then on loses nothing.
   */
  private holdInMemory(agentContext: AgentContext, forward: ParsedForward): void {
    const held: HeldForward = { forward }
    this.held.add(held)
    this.counters.heldInMemory++
    if (this.held.size === this.config.maxHeldInMemory) this.storage.overHoldLimit()
    this.track(
      agentContext,
      this.relayUntilSettled(agentContext, forward).then(async (settlement) => {
        if (settlement === 'stopped') return
        this.held.delete(held)
        this.counters.heldInMemory--
        if (held.record) await this.deleteFromOutbox(agentContext, held.record)
      }),
    )
  }

  /**
   * The store's probe: the forwards held in memory written to the outbox, or, with none held, a
   * record written and deleted. Throws while the store takes no writes.
   */
  private async probeStorage(agentContext: AgentContext): Promise<void> {
    let wrote = false
    for (const held of this.held) {
      if (held.record) continue
      const record = new OutboxRecord(held.forward)
      await this.outbox.save(agentContext, record)
      wrote = true
      this.counters.outbox++
      // Settled while it was being written: it is not needed any more.
      if (this.held.has(held)) held.record = record
      else await this.deleteFromOutbox(agentContext, record)
    }
    if (wrote) return
    const probe = new StorageProbeRecord()
    await this.probes.save(agentContext, probe)
    await this.probes.delete(agentContext, probe)
  }

  /** After a restart: relay whatever was accepted into the outbox but not yet delivered. */
  public async resumeOutbox(agentContext: AgentContext): Promise<number> {
    const records = await this.outbox.getAll(agentContext)
    this.counters.outbox = records.length
    for (const record of records) this.track(agentContext, this.relayFromOutbox(agentContext, record))
    return records.length
  }

  /** Forwards picked up from this channel that are being relayed now, not yet acknowledged. */
  public relaysInFlightFrom(channelId: string): number {
    const prefix = `${channelId} `
    let count = 0
    for (const key of this.claimed) if (key.startsWith(prefix)) count++
    return count
  }

  public start(agentContext: AgentContext): void {
    this.stopped = false
    this.agentContext = agentContext
    this.storage.probeWith(() => this.probeStorage(agentContext))
  }

  /** Waiting retries end at once as 'stopped': their messages stay unacknowledged, or in the outbox. */
  public stop(): void {
    this.stopped = true
    this.storage.stop()
    for (const wake of this.sleepers) wake()
    this.sleepers.clear()
  }

  /** Waits for relays in flight to settle (for graceful shutdown), at most `timeoutMs`. */
  public async drain(timeoutMs: number): Promise<void> {
    const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())
    await Promise.race([Promise.allSettled([...this.running]), deadline])
  }

  /** After `drain`. A message still held in memory (the store took no writes) is gone with the process: said in the log. */
  public close(): void {
    this.client.close()
    const unwritten = [...this.held].filter((held) => !held.record).length
    if (unwritten > 0) {
      sideEffect(() =>
        this.agentContext?.config.logger.error(
          `Stopping with ${unwritten} taken messages held in memory and not relayed: the store took no writes, so they are lost with this process`,
        ),
      )
    }
  }

  private acknowledge(ledgerKey: string, source: { acknowledge: () => void }): void {
    this.acknowledged.add(ledgerKey)
    if (this.acknowledged.size > REMEMBERED_ACKS) {
      // Sets iterate in insertion order: the first one is the oldest.
      this.acknowledged.delete(this.acknowledged.values().next().value as string)
    }
    source.acknowledge()
  }

  private async relayFromOutbox(agentContext: AgentContext, record: OutboxRecord): Promise<void> {
    const settlement = await this.relayUntilSettled(agentContext, record)
    if (settlement === 'stopped') return
    await this.deleteFromOutbox(agentContext, record)
  }

  private async deleteFromOutbox(agentContext: AgentContext, record: OutboxRecord): Promise<void> {
    try {
      await this.outbox.delete(agentContext, record)
      this.counters.outbox--
    } catch (error) {
      agentContext.config.logger.error('Could not delete a relayed message from the outbox', { error })
    }
  }

  /** The key of an agent of this proxy that the envelope is addressed to, read from its header. */
  public agentKeyOf(kids: string[]): string | undefined {
    return kids.find((kid) => this.directory.agentsByKey.has(kid))
  }

  private unknownRecipient(forward: ParsedForward): Extract<Submission, { kind: 'refused' }> | undefined {
    if (this.directory.agentsByKey.has(forward.recipientKey)) return undefined
    return { kind: 'refused', code: 'unknown_recipient', reason: `no agent registered key ${forward.recipientKey}` }
  }

  /** Keeps every relay in sight for `drain`; a relay that throws is a bug, logged, and never unhandled. */
  private track(agentContext: AgentContext, task: Promise<unknown>): void {
    const settled: Promise<void> = task.then(
      () => undefined,
      (error) => sideEffect(() => agentContext.config.logger.error('A relay failed unexpectedly', { error })),
    )
    this.running.add(settled)
    void settled.finally(() => this.running.delete(settled))
  }

  /**
   * Retries until the agent answers 2xx. A message is never dropped because an agent is down; only
   * a key no agent holds any more, or an agent that keeps rejecting the message itself, ends in the
   * dead letters.
   */
  private async relayUntilSettled(agentContext: AgentContext, forward: ParsedForward): Promise<Settlement> {
    // Counted as waiting for its agent until settled: the agent's backlog, and how long its oldest waits.
    const waiting = { since: (forward as { createdAt?: Date }).createdAt?.getTime() ?? Date.now() }
    const owner = this.directory.agentsByKey.get(forward.recipientKey)
    owner?.pending.add(waiting)
    this.counters.inFlight++
    try {
      return await this.attemptUntilSettled(agentContext, forward)
    } finally {
      owner?.pending.delete(waiting)
      this.counters.inFlight--
    }
  }

  private async attemptUntilSettled(agentContext: AgentContext, forward: ParsedForward): Promise<Settlement> {
    let permanentRejections = 0
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return 'stopped'
      const result = await this.relayOnce(agentContext, forward, attempt)
      if (result.kind === 'relayed') return 'relayed'
      if (result.kind === 'gone') {
        this.deadLetter(agentContext, result.reason, forward.recipientKey, forward.envelope)
        return 'dead-lettered'
      }
      if (result.permanent && ++permanentRejections >= PERMANENT_REJECTION_ATTEMPTS) {
        this.deadLetter(
          agentContext,
          `agent keeps rejecting it: ${result.reason}`,
          forward.recipientKey,
          forward.envelope,
        )
        return 'dead-lettered'
      }
      if (this.stopped) return 'stopped'
      await this.sleep(backoffDelay(attempt - 1, this.config.relayRetryBaseDelayMs, this.config.relayRetryMaxDelayMs))
    }
  }

  /** One POST of the agent's envelope. Never throws. */
  private async relayOnce(agentContext: AgentContext, forward: ParsedForward, attempt: number): Promise<RelayAttempt> {
    const agent = this.directory.agentsByKey.get(forward.recipientKey)
    if (!agent) return { kind: 'gone', reason: `no agent registered key ${forward.recipientKey}` }
    const { endpoint } = agent
    if (!endpoint) {
      return this.failed(agentContext, agent, forward, attempt, {
        kind: 'failed',
        reason: `agent ${agent.connectionId} has no HTTP endpoint in its DID document: it must list one the proxy can POST to`,
        permanent: false,
      })
    }
    const started = performance.now()
    let status: number
    try {
      // The client's per-origin socket pool bounds the relays in flight to one agent, so a slow agent queues only its own.
      ;({ status } = await this.client.post(endpoint, JSON.stringify(forward.envelope), this.config.relayTimeoutMs))
    } catch (error) {
      return this.failed(agentContext, agent, forward, attempt, {
        kind: 'failed',
        reason: describeRelayFailure(endpoint, error),
        permanent: false,
      })
    }
    if (status < 200 || status >= 300) {
      return this.failed(agentContext, agent, forward, attempt, {
        kind: 'failed',
        reason: describeRelayFailure(endpoint, { status }),
        permanent: isPermanentRejection(status),
      })
    }
    this.counters.relayed++
    agent.lastDeliveryAt = Date.now()
    if (agent.failingSince !== undefined) this.recovered(agentContext, agent)
    sideEffect(() =>
      this.eventEmitter.emit<MessageRelayedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.MessageRelayed,
        payload: {
          recipientKey: forward.recipientKey,
          connectionId: agent.connectionId,
          endpoint,
          status,
          latencyMs: performance.now() - started,
        },
      }),
    )
    return { kind: 'relayed', status }
  }

  private failed(
    agentContext: AgentContext,
    agent: DownstreamAgent,
    forward: ParsedForward,
    attempt: number,
    result: Extract<RelayAttempt, { kind: 'failed' }>,
  ): RelayAttempt {
    this.counters.failedAttempts++
    agent.failedAttempts++
    agent.lastError = result.reason
    const first = agent.failingSince === undefined
    if (first) agent.failingSince = Date.now()
    sideEffect(() => {
      const { logger } = agentContext.config
      // One line when an agent starts to fail (and `ProxyHealth` one when it counts as failing), not one per attempt.
      if (first) {
        logger.warn(
          `Relays to agent ${agent.connectionId} fail: ${result.reason}. They are retried with backoff; the agent counts as failing after ${this.config.agentFailingAfterMs / 1000} s.`,
        )
        this.eventEmitter.emit<AgentHealthChangedEvent>(agentContext, {
          type: ProxyMediatorEventTypes.AgentHealthChanged,
          payload: { connectionId: agent.connectionId, failing: true },
        })
      } else logger.debug(`Relay to agent ${agent.connectionId} failed (attempt ${attempt}): ${result.reason}`)
      this.eventEmitter.emit<RelayFailedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.RelayFailed,
        payload: {
          recipientKey: forward.recipientKey,
          connectionId: agent.connectionId,
          endpoint: agent.endpoint ?? '',
          reason: result.reason,
          attempt,
        },
      })
    })
    return result
  }

  /** An agent whose relays failed answered 2xx again. */
  private recovered(agentContext: AgentContext, agent: DownstreamAgent): void {
    const since = agent.failingSince ?? Date.now()
    agent.failingSince = undefined
    agent.lastError = undefined
    sideEffect(() => {
      agentContext.config.logger.info(
        `Agent ${agent.connectionId} answers again, after ${Math.round((Date.now() - since) / 1000)} s of failing relays`,
      )
      this.eventEmitter.emit<AgentHealthChangedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.AgentHealthChanged,
        payload: { connectionId: agent.connectionId, failing: false },
      })
    })
  }

  /** Counts, logs and keeps a message that will never be relayed; `envelope` is kept as it came, encrypted. */
  private deadLetter(agentContext: AgentContext, reason: string, recipientKey?: string, envelope?: unknown): void {
    this.counters.deadLettered++
    this.deadLetters.keep(agentContext, { reason, recipientKey, envelope })
    sideEffect(() => {
      agentContext.config.logger.error(`Dead-lettered a forward: ${reason}`, { recipientKey })
      this.eventEmitter.emit<MessageDeadLetteredEvent>(agentContext, {
        type: ProxyMediatorEventTypes.MessageDeadLettered,
        payload: { recipientKey, reason },
      })
    })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.sleepers.add(wake)
    })
  }
}

function layerEnvelope(layer: ForwardLayer): unknown {
  if ('encrypted' in layer) return layer.encrypted
  if ('unopened' in layer) return layer.unopened
  return layer.plaintext.msg
}
