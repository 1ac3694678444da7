import { type AgentContext, injectable } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { type DeadLetterRecordProps, DeadLetterRecord } from '../repository/DeadLetterRecord'
import { DeadLetterRepository } from '../repository/DeadLetterRepository'

export interface DeadLetter {
  id: string
  at: string
  reason: string
  recipientKey?: string
  envelope?: unknown
}

/**
 * Keeps the newest dead letters in the proxy's encrypted store for an operator to inspect. It is a
 * side path: a failure to store one is logged and never reaches the relay that reported it, and the
 * oldest are dropped beyond the configured count so that a flood cannot fill the disk.
 */
@injectable()
export class DeadLetterStore {
  private writes: Promise<void> = Promise.resolve()

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly repository: DeadLetterRepository,
  ) {}

  public keep(agentContext: AgentContext, props: DeadLetterRecordProps): void {
    if (this.config.deadLetterRetention === 0) return
    // One write at a time keeps the count check and the pruning consistent.
    this.writes = this.writes
      .then(() => this.save(agentContext, props))
      .catch((error) => {
        agentContext.config.logger.warn(`Could not keep a dead letter: ${(error as Error)?.message ?? String(error)}`)
      })
  }

  /** The newest first. */
  public async list(agentContext: AgentContext, limit = 100): Promise<DeadLetter[]> {
    await this.writes
    const records = await this.repository.getAll(agentContext)
    return records
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, limit)
      .map((record) => ({
        id: record.id,
        at: record.createdAt.toISOString(),
        reason: record.reason,
        recipientKey: record.recipientKey,
        envelope: record.envelope,
      }))
  }

  private async save(agentContext: AgentContext, props: DeadLetterRecordProps): Promise<void> {
    await this.repository.save(agentContext, new DeadLetterRecord(props))
    const records = await this.repository.getAll(agentContext)
    const excess = records.length - this.config.deadLetterRetention
    if (excess <= 0) return
    const oldest = records.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).slice(0, excess)
    for (const record of oldest) await this.repository.delete(agentContext, record)
  }
}
