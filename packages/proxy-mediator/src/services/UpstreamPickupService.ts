import {
  type AgentContext,
  ConnectionService,
  EventEmitter,
  MessagePickupApi,
  MessageSender,
  OutboundMessageContext,
  type OutboundWebSocketClosedEvent,
  type OutboundWebSocketOpenedEvent,
  TransportEventTypes,
  injectable,
} from '@credo-ts/core'
import type { Subscription } from 'rxjs'
import { ProxyMediatorEventTypes, type ProxyMediatorStateChangedEvent } from '../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import type { ActivePickupMode, ProxyMediatorState, UpstreamSocketState } from '../models/ProxyMediatorStatus'
import { backoffDelay } from '../utils/backoff'

/**
 * Keeps messages flowing from the external mediator: opens the pickup session for the chosen
 * mode, reopens it with capped, jittered backoff whenever the socket closes (a keepalive
 * timeout terminates half-open sockets, which lands here too), and polls when there is no
 * socket. Credo's own pickup loop is not used: it has no jitter, no cap by default, and it
 * acknowledges deliveries before they are relayed.
 */
@injectable()
export class UpstreamPickupService {
  private running = false
  private agentContext?: AgentContext
  private connectionId?: string
  private currentMode?: ActivePickupMode
  private socket: UpstreamSocketState = 'none'
  private pollHealthy = false
  private lastPickup?: Date
  private reconnectCount = 0
  private reconnectAttempt = 0
  private error?: string
  private reconnectTimer?: NodeJS.Timeout
  private periodicTimer?: NodeJS.Timeout
  private subscriptions: Subscription[] = []
  private publishedState: ProxyMediatorState = 'init'

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly eventEmitter: EventEmitter,
    private readonly messagePickupApi: MessagePickupApi,
    private readonly connectionService: ConnectionService,
    private readonly messageSender: MessageSender,
  ) {}

  public get mode(): ActivePickupMode | undefined {
    return this.currentMode
  }

  public get socketState(): UpstreamSocketState {
    return this.socket
  }

  public get lastPickupAt(): Date | undefined {
    return this.lastPickup
  }

  public get reconnects(): number {
    return this.reconnectCount
  }

  public get lastError(): string | undefined {
    return this.error
  }

  /** Pickup runs: the socket is open (websocket modes) or the last poll succeeded. */
  public get isReady(): boolean {
    if (!this.running) return false
    return this.usesSocket ? this.socket === 'open' : this.pollHealthy
  }

  /** `init` before pickup was ever started, then `ready` while pickup runs and `setup` while it does not. */
  public get state(): ProxyMediatorState {
    if (!this.connectionId) return 'init'
    return this.isReady ? 'ready' : 'setup'
  }

  public notePickup(): void {
    this.lastPickup = new Date()
  }

  public async start(agentContext: AgentContext, connectionId: string, mode: ActivePickupMode): Promise<void> {
    this.stop()
    this.running = true
    this.agentContext = agentContext
    this.connectionId = connectionId
    this.currentMode = mode
    this.reconnectAttempt = 0
    this.watchSocket(agentContext, connectionId)
    agentContext.config.logger.info(`Starting ${mode} pickup from the external mediator`, { connectionId })
    this.publishState()

    if (this.usesSocket) {
      await this.openSessionOrRetry()
      if (mode === 'live') this.every(this.config.redeliveryCheckIntervalMs, () => this.askForHeldMessages())
    } else {
      await this.poll()
      this.every(this.config.pollingIntervalMs, () => this.poll())
    }
  }

  public stop(): void {
    this.running = false
    clearTimeout(this.reconnectTimer)
    clearInterval(this.periodicTimer)
    this.reconnectTimer = undefined
    this.periodicTimer = undefined
    for (const subscription of this.subscriptions) subscription.unsubscribe()
    this.subscriptions = []
    this.pollHealthy = false
    this.publishState()
  }

  private get usesSocket(): boolean {
    return this.currentMode === 'live' || this.currentMode === 'implicit'
  }

  private watchSocket(agentContext: AgentContext, connectionId: string) {
    this.subscriptions.push(
      this.eventEmitter
        .observable<OutboundWebSocketOpenedEvent>(TransportEventTypes.OutboundWebSocketOpenedEvent)
        .subscribe((event) => {
          if (event.payload.connectionId !== connectionId) return
          this.socket = 'open'
          this.reconnectAttempt = 0
          this.error = undefined
          this.publishState()
        }),
      this.eventEmitter
        .observable<OutboundWebSocketClosedEvent>(TransportEventTypes.OutboundWebSocketClosedEvent)
        .subscribe((event) => {
          if (event.payload.connectionId !== connectionId) return
          this.socket = 'closed'
          this.publishState()
          if (this.running && this.usesSocket) {
            agentContext.config.logger.warn('The websocket to the external mediator closed; reconnecting')
            this.scheduleReconnect()
          }
        }),
    )
  }

  private async openSessionOrRetry(): Promise<void> {
    try {
      await this.openSession()
    } catch (error) {
      this.error = (error as Error).message
      this.agentContext?.config.logger.warn(`Could not open the pickup session: ${this.error}`)
      this.scheduleReconnect()
    }
  }

  private async openSession(): Promise<void> {
    const { agentContext, connectionId } = this
    if (!agentContext || !connectionId) return
    if (this.socket !== 'open') this.socket = 'connecting'
    if (this.currentMode === 'live') {
      // First whatever is queued, then live delivery for what comes next.
      await this.messagePickupApi.pickupMessages({ connectionId, protocolVersion: 'v2' })
      await this.messagePickupApi.setLiveDeliveryMode({ connectionId, liveDelivery: true, protocolVersion: 'v2' })
    } else {
      // Implicit pickup: a trust ping with return route keeps a socket the mediator writes to.
      const connection = await this.connectionService.getById(agentContext, connectionId)
      const { message } = await this.connectionService.createTrustPing(agentContext, connection, {
        responseRequested: false,
      })
      await this.messageSender.sendMessage(new OutboundMessageContext(message, { agentContext, connection }), {
        transportPriority: { schemes: ['wss', 'ws'], restrictive: true },
      })
    }
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return
    const delay = backoffDelay(
      this.reconnectAttempt++,
      this.config.reconnectBaseDelayMs,
      this.config.reconnectMaxDelayMs,
    )
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      if (!this.running) return
      this.reconnectCount++
      void this.openSessionOrRetry()
    }, delay)
  }

  /** Live mode pushes only new messages; this collects those offered again after a failed relay. */
  private async askForHeldMessages(): Promise<void> {
    if (!this.agentContext || !this.connectionId || this.socket !== 'open') return
    try {
      await this.messagePickupApi.pickupMessages({ connectionId: this.connectionId, protocolVersion: 'v2' })
    } catch (error) {
      this.agentContext.config.logger.debug('Status request to the external mediator failed', { error })
    }
  }

  private async poll(): Promise<void> {
    if (!this.agentContext || !this.connectionId) return
    try {
      await this.messagePickupApi.pickupMessages({
        connectionId: this.connectionId,
        protocolVersion: this.currentMode === 'poll-v1' ? 'v1' : 'v2',
      })
      this.pollHealthy = true
      this.error = undefined
    } catch (error) {
      this.pollHealthy = false
      this.error = (error as Error).message
      this.agentContext.config.logger.warn(`Polling the external mediator failed: ${this.error}`)
    }
    this.publishState()
  }

  /**
   * Emits `ProxyMediatorStateChanged` on every transition, at the moment it happens. A listener or
   * logger that throws must not cut the pickup short, so the notification is fenced off.
   */
  private publishState(): void {
    const state = this.state
    if (state === this.publishedState) return
    const previousState = this.publishedState
    this.publishedState = state
    const { agentContext } = this
    if (!agentContext) return
    try {
      agentContext.config.logger.info(`Proxy mediator is ${state}`)
      this.eventEmitter.emit<ProxyMediatorStateChangedEvent>(agentContext, {
        type: ProxyMediatorEventTypes.StateChanged,
        payload: { previousState, state },
      })
    } catch {
      // Nothing on the side may break the main path.
    }
  }

  private every(intervalMs: number, task: () => Promise<void>) {
    this.periodicTimer = setInterval(() => void task(), intervalMs)
    this.periodicTimer.unref()
  }
}
