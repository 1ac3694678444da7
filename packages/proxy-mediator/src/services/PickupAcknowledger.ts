import {
  type AgentContext,
  ConnectionService,
  MessageSender,
  OutboundMessageContext,
  V2MessagesReceivedMessage,
  injectable,
} from '@credo-ts/core'

/**
 * Acknowledgements wait this long for company, so a burst of relays costs one messages-received
 * (and one status back, and often a delivery-request): measured, 5 ms meant one per few relays.
 */
const ACK_BATCH_WINDOW_MS = 25
const ACK_BATCH_MAX = 100
/** How many acknowledged ids are remembered, to recognize a copy offered again before the ack landed. */
const REMEMBERED_ACKS = 10_000

/**
 * Sends pickup 2.0 `messages-received` for the messages that were relayed (or can never be),
 * and only for those: a message the agent did not take stays in the external mediator's queue.
 */
@injectable()
export class PickupAcknowledger {
  private pending: string[] = []
  private timer?: NodeJS.Timeout
  private agentContext?: AgentContext
  private connectionId?: string
  private flushing: Promise<void> = Promise.resolve()
  private readonly claimed = new Set<string>()
  private readonly acknowledged = new Set<string>()

  public constructor(
    private readonly messageSender: MessageSender,
    private readonly connectionService: ConnectionService,
  ) {}

  /** A cheaper way to the mediator than Credo's MessageSender, while one exists (the socket fast path). */
  private directChannel?: (ids: string[]) => Promise<boolean>

  public useDirectChannel(channel?: (ids: string[]) => Promise<boolean>): void {
    this.directChannel = channel
  }

  /** Marks a picked-up message as being handled; false when it already is (a re-offered copy). */
  public claim(messageId: string): boolean {
    if (this.claimed.has(messageId)) return false
    this.claimed.add(messageId)
    return true
  }

  public release(messageId: string): void {
    this.claimed.delete(messageId)
  }

  /**
   * Whether this message was already relayed and acknowledged: the mediator may offer it again
   * before our acknowledgement reached it. Acknowledging again is enough; relaying again
   * would be a needless duplicate.
   */
  public wasAcknowledged(messageId: string): boolean {
    return this.acknowledged.has(messageId)
  }

  public acknowledge(agentContext: AgentContext, connectionId: string, messageId: string): void {
    this.acknowledged.add(messageId)
    if (this.acknowledged.size > REMEMBERED_ACKS) {
      // Sets iterate in insertion order: the first one is the oldest.
      this.acknowledged.delete(this.acknowledged.values().next().value as string)
    }
    this.agentContext = agentContext
    this.connectionId = connectionId
    this.pending.push(messageId)
    if (this.pending.length >= ACK_BATCH_MAX) void this.flush()
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), ACK_BATCH_WINDOW_MS)
  }

  public flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const ids = this.pending
    this.pending = []
    const { agentContext, connectionId } = this
    if (ids.length === 0 || !agentContext || !connectionId) return this.flushing
    this.flushing = this.flushing.then(() => this.send(agentContext, connectionId, ids))
    return this.flushing
  }

  private async send(agentContext: AgentContext, connectionId: string, ids: string[]): Promise<void> {
    try {
      if (await this.directChannel?.(ids)) return
      const connection = await this.connectionService.getById(agentContext, connectionId)
      const message = new V2MessagesReceivedMessage({ messageIdList: ids })
      await this.messageSender.sendMessage(new OutboundMessageContext(message, { agentContext, connection }), {
        transportPriority: { schemes: ['wss', 'ws'] },
      })
    } catch (error) {
      // Not fatal: the mediator offers unacknowledged messages again, and a re-offered message
      // that was already relayed is a duplicate, which at-least-once allows.
      agentContext.config.logger.warn(`Could not acknowledge ${ids.length} picked-up messages`, { error })
    }
  }
}
