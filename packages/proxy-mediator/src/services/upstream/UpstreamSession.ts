import {
  type AgentContext,
  ConnectionService,
  MessagePickupApi,
  MessageSender,
  OutboundMessageContext,
} from '@credo-ts/core'
import type { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import type { ActivePickupMode, UpstreamSocketState } from '../../models/ProxyMediatorStatus'
import { backoffDelay } from '../../utils/backoff'
import { sideEffect } from '../../utils/sideEffect'

/** What a session needs of the agent; resolved once by whoever makes sessions. */
export interface UpstreamSessionDependencies {
  config: ProxyMediatorModuleConfig
  messagePickupApi: MessagePickupApi
  connectionService: ConnectionService
  messageSender: MessageSender
}

/** The mediator a session picks up from, as far as the session reads and uses it (`UpstreamMediator`). */
export interface PickupTarget {
  /** The proxy's connection id to it. */
  readonly id: string
  readonly pickupMode: ActivePickupMode
  /** What it said it holds in its last pickup 2.0 status. */
  readonly heldMessages?: number
  /** Resolves at its next status, or after `timeoutMs`. */
  nextStatus(timeoutMs: number): Promise<void>
  /** The state of its websocket, read off the sockets themselves. */
  socketState(): UpstreamSocketState
  /** "Next, please" on its open socket; false when none is open. */
  pull(agentContext: AgentContext): Promise<boolean>
  /** Asks it to keep what comes rather than write it on the socket; false when none is open. */
  quiet(agentContext: AgentContext): Promise<boolean>
  /** Its websocket endpoints, and why the last socket to them failed: for an error in words. */
  readonly websocketEndpoints: string[]
  readonly lastSocketError?: string
}

/**
 * Keeps messages flowing from one external mediator: opens the pickup session for the chosen
 * mode, reopens it with capped, jittered backoff whenever the socket closes (a keepalive timeout
 * terminates half-open sockets, which lands here too), and polls when there is no socket. The
 * socket's state is read off the socket itself (`PickupTarget.socketState`), never inferred
 * from events that may have fired before the session started. With implicit pickup it asks for
 * the next message after each one it takes, and on an interval, since a mediator like ACA-Py's
 * lets a queued message out only when a message comes in. Credo's own pickup loop is not used: it
 * has no jitter, no cap by default, and it acknowledges deliveries before they are relayed.
 * `onChange` is called on every change of `isReady`, as it happens. The channel tells it of its
 * mediator's sockets (`socketChanged`) and of each message the mediator wrote on its own (`streamed`).
 */
export class UpstreamSession {
  private running = false
  /** Implicit pickup while the store takes no writes: the mediator is asked to keep its messages. */
  private paused = false
  private pollHealthy = false
  private reconnectCount = 0
  private reconnectAttempt = 0
  private error?: string
  private reconnectTimer?: NodeJS.Timeout
  private reconnectDueAt?: number
  private periodicTimers: NodeJS.Timeout[] = []
  private lastSocketState: UpstreamSocketState = 'none'
  private wasReady = false
  private notReadySince = Date.now()

  public constructor(
    private readonly deps: UpstreamSessionDependencies,
    private readonly agentContext: AgentContext,
    private readonly mediator: PickupTarget,
    private readonly onChange: () => void,
  ) {}

  public get connectionId(): string {
    return this.mediator.id
  }

  public get mode(): ActivePickupMode {
    return this.mediator.pickupMode
  }

  public get socketState(): UpstreamSocketState {
    return this.usesSocket ? this.mediator.socketState() : 'none'
  }

  public get reconnects(): number {
    return this.reconnectCount
  }

  public get lastError(): string | undefined {
    return this.error
  }

  /** Since when pickup has not run (ms since the epoch); undefined while it runs. */
  public get downSince(): number | undefined {
    return this.isReady ? undefined : this.notReadySince
  }

  /** What the session is doing about not picking up, in words: only what is really under way. */
  public get recovery(): string {
    if (!this.running) return 'pickup is stopped'
    if (this.paused) return 'paused while the store takes no writes; it resumes once a write succeeds'
    if (this.reconnectDueAt !== undefined) {
      const seconds = Math.max(0, Math.ceil((this.reconnectDueAt - Date.now()) / 1000))
      return `reconnecting in ${seconds} s (attempt ${this.reconnectAttempt})`
    }
    if (this.socketState === 'connecting') return 'connecting'
    if (!this.usesSocket) return `polling again within ${Math.round(this.deps.config.pollingIntervalMs / 1000)} s`
    return 'opening the pickup session'
  }

  /**
   * Asks the mediator what it holds (a pickup 2.0 status request; what it holds is then delivered
   * too) and waits for its answer, at most `timeoutMs`. Resolves with the count, or undefined.
   */
  public async refreshHeldMessages(timeoutMs: number): Promise<number | undefined> {
    const { mediator } = this
    if (this.mode === 'implicit' || this.mode === 'poll-v1') return mediator.heldMessages
    const answered = mediator.nextStatus(timeoutMs)
    try {
      await this.deps.messagePickupApi.pickupMessages({ connectionId: this.connectionId, protocolVersion: 'v2' })
    } catch {
      return mediator.heldMessages
    }
    await answered
    return mediator.heldMessages
  }

  /** Pickup runs: the socket is open (websocket modes) or the last poll succeeded. */
  public get isReady(): boolean {
    if (!this.running || this.paused) return false
    return this.usesSocket ? this.socketState === 'open' : this.pollHealthy
  }

  public async start(): Promise<void> {
    this.stop()
    this.running = true
    this.reconnectAttempt = 0
    this.lastSocketState = this.socketState
    this.changed()
    this.agentContext.config.logger.info(`Starting ${this.mode} pickup from the external mediator`, {
      connectionId: this.connectionId,
    })
    if (this.usesSocket) {
      await this.openSessionOrRetry()
      if (this.mode === 'live') this.every(this.deps.config.redeliveryCheckIntervalMs, () => this.askForHeldMessages())
      if (this.mode === 'implicit') this.every(this.deps.config.pickupPingIntervalMs, () => this.pull())
    } else {
      await this.poll()
      this.every(this.deps.config.pollingIntervalMs, () => this.poll())
    }
  }

  public stop(): void {
    this.running = false
    clearTimeout(this.reconnectTimer)
    for (const timer of this.periodicTimers) clearInterval(timer)
    this.reconnectTimer = undefined
    this.reconnectDueAt = undefined
    this.periodicTimers = []
    this.pollHealthy = false
    this.changed()
  }

  /**
   * The store takes no writes, and what implicit pickup and pickup 1.0 take must be written before
   * anything else happens to it (the mediator keeps nothing): no more pulls or polls, and with
   * implicit pickup the mediator is asked to keep what comes (its session's reply mode is reset).
   * Pickup 2.0 needs no store to take messages (nothing is acknowledged before the relay), and goes on.
   */
  public pause(): void {
    if (this.paused || !this.needsStore) return
    this.paused = true
    this.changed()
    if (this.mode === 'implicit') void this.mediator.quiet(this.agentContext).catch(() => undefined)
  }

  /** The store takes writes again: pull (poll), or open the session again if the socket went meanwhile. */
  public resume(): void {
    if (!this.paused) return
    this.paused = false
    this.changed()
    if (!this.running) return
    if (!this.usesSocket) void this.poll()
    else if (this.socketState === 'open') void this.pull()
    else void this.openSessionOrRetry()
  }

  /** From the channel: a socket to the mediator opened or closed. */
  public socketChanged(): void {
    const state = this.socketState
    const previous = this.lastSocketState
    this.lastSocketState = state
    if (state === 'open') {
      this.reconnectAttempt = 0
      this.error = undefined
    }
    this.changed()
    const lost = (previous === 'open' || previous === 'connecting') && (state === 'closed' || state === 'none')
    if (lost && this.running && this.usesSocket && !this.paused) {
      if (previous === 'open') {
        this.agentContext.config.logger.warn('The websocket to the external mediator closed; reconnecting', {
          connectionId: this.connectionId,
        })
      }
      this.scheduleReconnect()
    }
  }

  /** From the channel: a message the mediator wrote on its own was taken: ask for the next one. */
  public streamed(): void {
    void this.pull()
  }

  private get usesSocket(): boolean {
    return this.mode === 'live' || this.mode === 'implicit'
  }

  /** Modes whose messages the mediator forgets once sent: the proxy must write them first. */
  private get needsStore(): boolean {
    return this.mode === 'implicit' || this.mode === 'poll-v1'
  }

  private async openSessionOrRetry(): Promise<void> {
    // Opening the session asks the mediator to write again: not while paused (`resume` opens it).
    if (this.paused) return
    try {
      await this.openSession()
    } catch (error) {
      this.error = this.inWords(error)
      this.agentContext.config.logger.warn(`Could not open the pickup session: ${this.error}`)
      this.scheduleReconnect()
    }
  }

  private async openSession(): Promise<void> {
    const { agentContext, connectionId } = this
    const { messagePickupApi, connectionService, messageSender } = this.deps
    if (this.mode === 'live') {
      // First whatever is queued, then live delivery for what comes next.
      await messagePickupApi.pickupMessages({ connectionId, protocolVersion: 'v2' })
      await messagePickupApi.setLiveDeliveryMode({ connectionId, liveDelivery: true, protocolVersion: 'v2' })
    } else {
      // Implicit pickup: a trust ping with return route keeps a socket the mediator writes to.
      const connection = await connectionService.getById(agentContext, connectionId)
      const { message } = await connectionService.createTrustPing(agentContext, connection, {
        responseRequested: false,
      })
      await messageSender.sendMessage(new OutboundMessageContext(message, { agentContext, connection }), {
        transportPriority: { schemes: ['wss', 'ws'], restrictive: true },
      })
    }
  }

  /**
   * Credo says "Message is undeliverable to connection <id>" when no transport reached the mediator:
   * the operator needs what was tried, where, and what to check.
   */
  private inWords(error: unknown): string {
    const message = (error as Error)?.message ?? String(error)
    if (!/undeliverable/i.test(message)) return message
    const endpoints = this.mediator.websocketEndpoints
    const { lastSocketError } = this.mediator
    const where = endpoints.length > 0 ? endpoints.join(' or ') : '(its DID document lists none)'
    return `could not reach the external mediator's websocket ${where}${lastSocketError ? ` (${lastSocketError})` : ''}: check that it runs and that this network reaches it (a firewall, an egress proxy)`
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return
    const { reconnectBaseDelayMs, reconnectMaxDelayMs } = this.deps.config
    const delay = backoffDelay(this.reconnectAttempt++, reconnectBaseDelayMs, reconnectMaxDelayMs)
    this.reconnectDueAt = Date.now() + delay
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      this.reconnectDueAt = undefined
      if (!this.running) return
      this.reconnectCount++
      void this.openSessionOrRetry()
    }, delay)
  }

  /**
   * "Next, please": a return-route trust ping on the open socket. Also in live mode, for a mediator
   * that wrote a message on its own although live mode was asked for (ACA-Py with the pickup
   * plugin, which has no live mode, does). Nothing to do while the socket is not open: opening it asks.
   */
  private async pull(): Promise<void> {
    if (!this.running || this.paused || !this.usesSocket || this.socketState !== 'open') return
    try {
      await this.mediator.pull(this.agentContext)
    } catch (error) {
      this.agentContext.config.logger.debug('Could not ask the external mediator for more', { error })
    }
  }

  /** Live mode pushes only new messages; this collects those offered again after a failed relay. */
  private async askForHeldMessages(): Promise<void> {
    if (this.socketState !== 'open') return
    try {
      await this.deps.messagePickupApi.pickupMessages({ connectionId: this.connectionId, protocolVersion: 'v2' })
    } catch (error) {
      this.agentContext.config.logger.debug('Status request to the external mediator failed', { error })
    }
  }

  private async poll(): Promise<void> {
    if (this.paused) return
    try {
      await this.deps.messagePickupApi.pickupMessages({
        connectionId: this.connectionId,
        protocolVersion: this.mode === 'poll-v1' ? 'v1' : 'v2',
      })
      this.pollHealthy = true
      this.error = undefined
    } catch (error) {
      this.pollHealthy = false
      this.error = (error as Error).message
      this.agentContext.config.logger.warn(`Polling the external mediator failed: ${this.error}`)
    }
    this.changed()
  }

  /** A listener that throws must not cut the pickup short, so the notification is fenced off. */
  private changed(): void {
    if (this.isReady === this.wasReady) return
    this.wasReady = this.isReady
    if (!this.isReady) this.notReadySince = Date.now()
    sideEffect(() => this.onChange())
  }

  private every(intervalMs: number, task: () => Promise<void>) {
    const timer = setInterval(() => void task(), intervalMs)
    timer.unref()
    this.periodicTimers.push(timer)
  }
}
