import { type AgentContext, injectable } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { backoffDelay } from '../utils/backoff'
import { RelayCounters } from './RelayCounters'
import { RelayService, type UnwrappedForward } from './RelayService'

export type RelaySettlement = 'relayed' | 'dead-lettered' | 'stopped'

/** How often an agent may reject the same message with a 4xx before the proxy gives up on it. */
const PERMANENT_REJECTION_ATTEMPTS = 3

/**
 * Retries a forward until the agent answers 2xx, with capped exponential backoff and jitter.
 * A message is never dropped because an agent is down; only an unknown key, or an agent that
 * keeps rejecting the message itself, ends in the dead letters. On stop, waiting retries end
 * as 'stopped': the caller leaves them unacknowledged upstream or in the outbox.
 */
@injectable()
export class RelayRetryLoop {
  private stopped = false
  private readonly sleepers = new Set<() => void>()

  public constructor(
    private readonly relayService: RelayService,
    private readonly config: ProxyMediatorModuleConfig,
    private readonly counters: RelayCounters,
  ) {}

  public start(): void {
    this.stopped = false
  }

  public stop(): void {
    this.stopped = true
    for (const wake of this.sleepers) wake()
    this.sleepers.clear()
  }

  public async relayUntilSettled(agentContext: AgentContext, forward: UnwrappedForward): Promise<RelaySettlement> {
    let permanentRejections = 0
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return 'stopped'
      const result = await this.relayService.relayOnce(agentContext, forward, attempt + 1)
      if (result.kind === 'relayed') return 'relayed'
      if (result.kind === 'dead-letter') {
        this.relayService.deadLetter(agentContext, result.reason, forward.recipientKey, forward.envelope)
        return 'dead-lettered'
      }
      if (result.permanent && ++permanentRejections >= PERMANENT_REJECTION_ATTEMPTS) {
        this.relayService.deadLetter(
          agentContext,
          `agent keeps rejecting it: ${result.reason}`,
          forward.recipientKey,
          forward.envelope,
        )
        return 'dead-lettered'
      }
      if (this.stopped) return 'stopped'
      this.counters.retried++
      await this.sleep(backoffDelay(attempt, this.config.relayRetryBaseDelayMs, this.config.relayRetryMaxDelayMs))
    }
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
