import { type AgentContext, injectable } from '@credo-ts/core'
import { OutboxRecord } from '../repository/OutboxRecord'
import { OutboxRepository } from '../repository/OutboxRepository'
import { RelayCounters } from './RelayCounters'
import { RelayRetryLoop } from './RelayRetryLoop'
import type { UnwrappedForward } from './RelayService'

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
  ) {}

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
