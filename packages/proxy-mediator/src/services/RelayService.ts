import { type AgentContext, type EncryptedMessage, EventEmitter, injectable } from '@credo-ts/core'
import { ProxyMediatorEventTypes } from '../ProxyMediatorEvents'
import type { MessageDeadLetteredEvent, MessageRelayedEvent, RelayFailedEvent } from '../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { isEncryptedEnvelope, isForwardType } from '../utils/envelope'
import { toVerkey } from '../utils/keys'
import { AgentDirectory } from './AgentDirectory'
import { DeadLetterStore } from './DeadLetterStore'
import { RelayCounters } from './RelayCounters'
import { RelayHttpClient } from './RelayHttpClient'

/** A forward already unwrapped: the inner envelope and the key of the agent it is for. */
export interface UnwrappedForward {
  recipientKey: string
  envelope: EncryptedMessage
}

export type RelayAttempt =
  | { kind: 'relayed'; status: number }
  | { kind: 'dead-letter'; reason: string }
  | { kind: 'failed'; reason: string; permanent: boolean }

export type UnwrapResult =
  | { kind: 'forward'; forward: UnwrappedForward }
  | { kind: 'not-forward'; plaintext: Record<string, unknown> }
  | { kind: 'dead-letter'; reason: string }

/** Statuses that say "this message will never be accepted", as opposed to "try again later". */
function isPermanentRejection(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429
}

/**
 * The forward path: unwrap the layer addressed to the proxy's routing key, find the agent by
 * `to` in memory, and POST the inner envelope unchanged to the agent's HTTP endpoint. It
 * never touches Credo's generic message pipeline, which is what keeps it fast.
 */
@injectable()
export class RelayService {
  private readonly client: RelayHttpClient
  private readonly inFlight = new Set<Promise<unknown>>()

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly directory: AgentDirectory,
    private readonly counters: RelayCounters,
    private readonly eventEmitter: EventEmitter,
    private readonly deadLetters: DeadLetterStore,
  ) {
    this.client = new RelayHttpClient(config.relayConcurrencyPerAgent)
    directory.setRelayConcurrency(config.relayConcurrencyPerAgent)
  }

  /** Decrypts an envelope addressed to the proxy's routing key and reads the forward in it. */
  public async unwrap(agentContext: AgentContext, envelope: EncryptedMessage): Promise<UnwrapResult> {
    let plaintext: Record<string, unknown>
    try {
      plaintext = (await agentContext.wallet.unpack(envelope)).plaintextMessage as Record<string, unknown>
    } catch (error) {
      return { kind: 'dead-letter', reason: `cannot decrypt envelope: ${(error as Error).message}` }
    }
    if (!isForwardType(plaintext['@type'])) return { kind: 'not-forward', plaintext }
    if (typeof plaintext.to !== 'string' || !isEncryptedEnvelope(plaintext.msg)) {
      return { kind: 'dead-letter', reason: 'forward without a valid "to" and "msg"' }
    }
    let recipientKey: string
    try {
      recipientKey = toVerkey(plaintext.to)
    } catch {
      return { kind: 'dead-letter', reason: `forward "to" is not a key: ${plaintext.to}` }
    }
    return { kind: 'forward', forward: { recipientKey, envelope: plaintext.msg } }
  }

  /** One attempt at relaying a forward. Never throws. */
  public async relayOnce(agentContext: AgentContext, forward: UnwrappedForward, attempt = 1): Promise<RelayAttempt> {
    const agent = this.directory.findByRecipientKey(forward.recipientKey)
    if (!agent) return { kind: 'dead-letter', reason: `no agent registered key ${forward.recipientKey}` }
    const endpoint = agent.endpoint
    if (!endpoint)
      return { kind: 'failed', reason: `agent ${agent.connectionId} has no HTTP endpoint`, permanent: false }

    const started = performance.now()
    const body = JSON.stringify(forward.envelope)
    const post = agent.relaySlots.run(() => {
      this.counters.inFlight++
      return this.client.post(endpoint, body, this.config.relayTimeoutMs).finally(() => this.counters.inFlight--)
    })
    this.inFlight.add(post)
    let result: RelayAttempt
    try {
      const { status } = await post
      result =
        status >= 200 && status < 300
          ? { kind: 'relayed', status }
          : { kind: 'failed', reason: `agent answered HTTP ${status}`, permanent: isPermanentRejection(status) }
    } catch (error) {
      result = { kind: 'failed', reason: (error as Error).message, permanent: false }
    } finally {
      this.inFlight.delete(post)
    }

    if (result.kind === 'relayed') {
      this.counters.relayed++
      this.eventEmitter.emit<MessageRelayedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.MessageRelayed,
        payload: {
          recipientKey: forward.recipientKey,
          connectionId: agent.connectionId,
          endpoint,
          status: result.status,
          latencyMs: performance.now() - started,
        },
      })
    } else if (result.kind === 'failed') {
      this.counters.failed++
      agentContext.config.logger.warn(
        `Relay to agent ${agent.connectionId} failed (attempt ${attempt}): ${result.reason}`,
      )
      this.eventEmitter.emit<RelayFailedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.RelayFailed,
        payload: {
          recipientKey: forward.recipientKey,
          connectionId: agent.connectionId,
          endpoint,
          reason: result.reason,
          attempt,
        },
      })
    }
    return result
  }

  /** Counts, logs and keeps a message that will never be relayed; `envelope` is kept as it came, encrypted. */
  public deadLetter(agentContext: AgentContext, reason: string, recipientKey?: string, envelope?: unknown): void {
    this.counters.deadLettered++
    agentContext.config.logger.error(`Dead-lettered a forward: ${reason}`, { recipientKey })
    this.deadLetters.keep(agentContext, { reason, recipientKey, envelope })
    this.eventEmitter.emit<MessageDeadLetteredEvent>(agentContext, {
      type: ProxyMediatorEventTypes.MessageDeadLettered,
      payload: { recipientKey, reason },
    })
  }

  /** Waits for the POSTs in flight to finish (for graceful shutdown), at most `timeoutMs`. */
  public async drain(timeoutMs: number): Promise<void> {
    const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline])
  }

  public close(): void {
    this.client.close()
  }
}
