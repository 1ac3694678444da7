import { type AgentContext, type EncryptedMessage, injectable } from '@credo-ts/core'
import { recipientKids } from '../utils/envelope'
import { AgentDirectory } from './AgentDirectory'
import { ProxyMediatorStateService } from './ProxyMediatorStateService'
import { OutboxRecord } from '../repository/OutboxRecord'
import { OutboxRepository } from '../repository/OutboxRepository'
import { RelayCounters } from './RelayCounters'
import { RelayRetryLoop } from './RelayRetryLoop'
import { RelayService, type UnwrappedForward } from './RelayService'

/** What became of an envelope posted straight to the proxy. */
export type ForwardAcceptance =
  | { kind: 'accepted' }
  | { kind: 'refused'; reason: string; code: 'undecryptable' | 'unknown_recipient' | 'invalid_forward' }
  | { kind: 'not-for-routing-key' }

/**
 * Relays forwards that arrived without an acknowledgement (implicit pickup, pickup 1.0, or a
 * forward POSTed straight to the proxy): persist first, relay, delete after the agent's 2xx.
 */
@injectable()
export class OutboxService {
  public constructor(
    private readonly repository: OutboxRepository,
    private readonly retryLoop: RelayRetryLoop,
    private readonly counters: RelayCounters,
    private readonly relayService: RelayService,
    private readonly directory: AgentDirectory,
    private readonly state: ProxyMediatorStateService,
  ) {}

  /**
   * A forward posted straight to the proxy's routing key (not picked up): decrypted once, refused
   * at once when no agent registered its key (the sender learns it from the answer, so nothing is
   * kept), else written to the outbox and relayed like any forward without an acknowledgement.
   */
  public async acceptEnvelope(agentContext: AgentContext, envelope: EncryptedMessage): Promise<ForwardAcceptance> {
    if (!recipientKids(envelope).includes(await this.state.proxyRoutingKey(agentContext))) {
      return { kind: 'not-for-routing-key' }
    }
    const unwrapped = await this.relayService.unwrap(agentContext, envelope)
    if (unwrapped.kind === 'not-forward') {
      return { kind: 'refused', code: 'invalid_forward', reason: 'Only forwards are accepted for the routing key.' }
    }
    if (unwrapped.kind === 'dead-letter') {
      const code = unwrapped.reason.startsWith('cannot decrypt') ? 'undecryptable' : 'invalid_forward'
      return { kind: 'refused', code, reason: unwrapped.reason }
    }
    if (!this.directory.findByRecipientKey(unwrapped.forward.recipientKey)) {
      return {
        kind: 'refused',
        code: 'unknown_recipient',
        reason: 'No agent of this proxy registered the key the forward is for.',
      }
    }
    await this.accept(agentContext, unwrapped.forward)
    return { kind: 'accepted' }
  }

  public async accept(agentContext: AgentContext, forward: UnwrappedForward): Promise<void> {
    const record = new OutboxRecord({ recipientKey: forward.recipientKey, envelope: forward.envelope })
    await this.repository.save(agentContext, record)
    this.counters.outbox++
    void this.relay(agentContext, record)
  }

  /** After a restart: relay whatever was accepted but not yet delivered. */
  public async resume(agentContext: AgentContext): Promise<number> {
    const records = await this.repository.getAll(agentContext)
    this.counters.outbox = records.length
    for (const record of records) void this.relay(agentContext, record)
    return records.length
  }

  private async relay(agentContext: AgentContext, record: OutboxRecord): Promise<void> {
    const settlement = await this.retryLoop.relayUntilSettled(agentContext, {
      recipientKey: record.recipientKey,
      envelope: record.envelope,
    })
    if (settlement === 'stopped') return
    try {
      await this.repository.delete(agentContext, record)
      this.counters.outbox--
    } catch (error) {
      agentContext.config.logger.error('Could not delete a relayed message from the outbox', { error })
    }
  }
}
