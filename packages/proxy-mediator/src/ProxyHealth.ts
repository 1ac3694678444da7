import { type AgentContext, EventEmitter, injectable } from '@credo-ts/core'
import {
  type AgentHealthChangedEvent,
  ProxyMediatorEventTypes,
  type ProxyMediatorStateChangedEvent,
  type UpstreamChangedEvent,
} from './ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from './ProxyMediatorModuleConfig'
import type { ProxyMediatorState } from './models/ProxyMediatorStatus'
import { AgentDirectory } from './services/relay/AgentDirectory'
import { StorageHealth } from './services/relay/StorageHealth'
import { UpstreamFailover } from './services/upstream/UpstreamFailover'
import { sideEffect } from './utils/sideEffect'

/**
 * The proxy's state as an operator needs it: the upstream state (`init`, `setup`, `ready`), and
 * `degraded` while pickup runs but an agent's relays have failed for `agentFailingAfterMs`, or the
 * primary external mediator is down and new grants name another. The reason names who and why. It
 * is published as `ProxyMediatorStateChanged` the moment it changes: on the upstream's changes, an
 * agent's, and when an agent that fails reaches the failing time. A listener or a logger that
 * throws changes nothing here.
 */
@injectable()
export class ProxyHealth {
  private published: ProxyMediatorState = 'init'
  private agentContext?: AgentContext
  private timer?: NodeJS.Timeout

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly eventEmitter: EventEmitter,
    private readonly upstream: UpstreamFailover,
    private readonly directory: AgentDirectory,
    private readonly storage: StorageHealth,
  ) {
    eventEmitter.on<UpstreamChangedEvent>(ProxyMediatorEventTypes.UpstreamChanged, () => this.evaluate())
    eventEmitter.on<AgentHealthChangedEvent>(ProxyMediatorEventTypes.AgentHealthChanged, () => this.evaluate())
    storage.onChange(() => this.evaluate())
  }

  public start(agentContext: AgentContext): void {
    this.agentContext = agentContext
    this.evaluate()
  }

  public stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  public get state(): ProxyMediatorState {
    const upstream = this.upstream.state
    if (upstream !== 'ready') return upstream
    return this.problems().length > 0 ? 'degraded' : 'ready'
  }

  public get reason(): string {
    const problems = this.problems()
    if (this.upstream.state !== 'ready' || problems.length === 0) return this.upstream.reason
    return `Picking up, but: ${problems.join('; ')}.`
  }

  /** Who is failing and why, one sentence each. */
  public problems(now = Date.now()): string[] {
    const problems: string[] = []
    const failedOver = this.upstream.primaryFailedOver()
    if (failedOver) {
      problems.push(
        `the primary external mediator ${failedOver.id} is down since ${iso(failedOver.downSince)}, so new grants name ${failedOver.holderId}`,
      )
    }
    const storageFailure = this.storage.failure
    if (storageFailure) {
      problems.push(
        `the proxy's store takes no writes since ${iso(storageFailure.since)} (${storageFailure.reason}), so forwards posted to it get 503`,
      )
    }
    for (const agent of this.directory.failingAgents(this.config.agentFailingAfterMs, now)) {
      const who = agent.label ? `'${agent.label}' (${agent.connectionId})` : agent.connectionId
      problems.push(
        `relays to agent ${who} fail since ${iso(agent.failingSince ?? now)} (${agent.lastError ?? 'no answer'}); ${agent.pending.size} messages wait for it`,
      )
    }
    return problems
  }

  private evaluate(): void {
    try {
      this.watchFailingAgents()
      const state = this.state
      if (state === this.published) return
      const previousState = this.published
      this.published = state
      const { agentContext } = this
      if (!agentContext) return
      const reason = this.reason
      sideEffect(() => {
        const log = state === 'degraded' ? agentContext.config.logger.error : agentContext.config.logger.info
        log.call(agentContext.config.logger, `Proxy mediator is ${state}: ${reason}`)
      })
      this.eventEmitter.emit<ProxyMediatorStateChangedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.StateChanged,
        payload: { previousState, state, reason },
      })
    } catch {
      // Nothing on the side may break the main path.
    }
  }

  /** An agent that fails now becomes `failing` later, with no event to say so: look again then. */
  private watchFailingAgents(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const next = this.directory.nextFailingAt(this.config.agentFailingAfterMs)
    if (next === undefined) return
    this.timer = setTimeout(() => this.evaluate(), Math.max(0, next - Date.now()) + 10)
    this.timer.unref()
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
