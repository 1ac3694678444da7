import { type AgentContext, EventEmitter, injectable } from '@credo-ts/core'
import { ProxyMediatorEventTypes, type UpstreamChangedEvent } from '../../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import type { ProxyMediatorState, UpstreamMediatorRole } from '../../models/ProxyMediatorStatus'
import { StorageHealth } from '../relay/StorageHealth'
import type { UpstreamMediator } from './UpstreamMediator'
import { UpstreamMediatorSet } from './UpstreamMediatorSet'

/**
 * Which external mediator new grants to agents name, and so the upstream state: the primary while
 * it is picked up from; once it has been down for `primaryFailoverAfterMs`, the next mediator that
 * is (a standby before a draining one), until the primary is back. Every transition is published as
 * `UpstreamChanged` the moment it happens (a timer looks again when the failover time is up), and a
 * failover is logged and counted.
 */
@injectable()
export class UpstreamFailover {
  private agentContext?: AgentContext
  private publishedState: ProxyMediatorState = 'init'
  private publishedHolderId?: string
  private routeHolderId?: string
  private timer?: NodeJS.Timeout
  private failoverCount = 0

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly eventEmitter: EventEmitter,
    private readonly mediators: UpstreamMediatorSet,
    private readonly storage: StorageHealth,
  ) {}

  public start(agentContext: AgentContext): void {
    this.agentContext = agentContext
  }

  public stop(): void {
    clearTimeout(this.timer)
  }

  /** The primary: the one in that role, else the first one added. */
  public get primary(): UpstreamMediator | undefined {
    const all = this.mediators.all()
    return all.find((mediator) => mediator.role === 'primary') ?? all[0]
  }

  /** The primary, or while it has been down past the failover time, the next mediator that is picked up from. */
  public routeHolder(): UpstreamMediator | undefined {
    const primary = this.primary
    const after = this.config.primaryFailoverAfterMs
    const downSince = primary?.session.downSince
    if (!primary || after <= 0 || downSince === undefined || Date.now() - downSince < after) return primary
    const ready = (role: UpstreamMediatorRole) =>
      this.mediators.all().find((mediator) => mediator.role === role && mediator.isReady)
    return ready('standby') ?? ready('draining') ?? primary
  }

  /** Who becomes primary when the primary goes: one picked up from, a standby before a draining one. */
  public successor(): UpstreamMediator | undefined {
    const byPreference = this.mediators
      .all()
      .sort(
        (a, b) => Number(b.isReady) - Number(a.isReady) || Number(b.role === 'standby') - Number(a.role === 'standby'),
      )
    return byPreference[0]
  }

  /** The route new grants to agents name, while its mediator is picked up from; else undefined. */
  public grantRoute(): { endpoint: string; routingKeys: string[] } | undefined {
    const holder = this.routeHolder()
    if (!holder?.grant.endpoint || !holder.isReady) return undefined
    return { endpoint: holder.grant.endpoint, routingKeys: holder.grant.routingKeys }
  }

  /** `init` with no mediator, then `ready` while the mediator new grants name is picked up from, else `setup`. */
  public get state(): ProxyMediatorState {
    const holder = this.routeHolder()
    if (!holder) return 'init'
    return holder.isReady ? 'ready' : 'setup'
  }

  /** Why the state is what it is, in words an operator can act on. */
  public get reason(): string {
    const primary = this.primary
    const holder = this.routeHolder()
    if (!primary || !holder) return 'No external mediator is set up yet: give the proxy a mediator invitation.'
    if (holder !== primary) {
      return `Failed over: the primary ${primary.id} is not picked up from, so new grants name ${holder.id}.`
    }
    const { pickupMode } = primary.entry
    if (primary.isReady) return `Picking up from the primary external mediator (${pickupMode}).`
    const storageFailure = this.storage.failure
    if (storageFailure && ['implicit', 'poll-v1'].includes(pickupMode)) {
      return `Not picking up from the primary external mediator: the proxy's store takes no writes since ${new Date(storageFailure.since).toISOString()} (${storageFailure.reason}), and what ${pickupMode} pickup takes must be written first. The mediator keeps it meanwhile; pickup resumes once a write succeeds.`
    }
    const { lastError, socketState, recovery } = primary.session
    return `Not picking up from the primary external mediator (socket ${socketState}${lastError ? `; last error: ${lastError}` : ''}); ${recovery}.`
  }

  /** The primary, while it is down and new grants name another mediator. */
  public primaryFailedOver(): { id: string; downSince: number; holderId: string } | undefined {
    const primary = this.primary
    const holder = this.routeHolder()
    const downSince = primary?.session.downSince
    if (!primary || !holder || holder === primary || downSince === undefined) return undefined
    return { id: primary.id, downSince, holderId: holder.id }
  }

  /** How often new grants failed over from a primary that was down. */
  public get failovers(): number {
    return this.failoverCount
  }

  /**
   * Looks at the state again after any change (a mediator added, promoted, removed, up or down):
   * logs and counts a failover, and tells `ProxyHealth` of a transition. A listener or logger that
   * throws changes nothing here.
   */
  public publish(): void {
    const { agentContext } = this
    try {
      this.watchFailover()
      const holder = this.routeHolder()
      const holderId = holder?.id
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
      const state = this.state
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
    clearTimeout(this.timer)
    const after = this.config.primaryFailoverAfterMs
    const downSince = this.primary?.session.downSince
    if (after <= 0 || downSince === undefined) return
    const due = downSince + after - Date.now()
    if (due <= 0) return
    this.timer = setTimeout(() => this.publish(), due + 10)
    this.timer.unref()
  }
}
