import { randomUUID } from 'node:crypto'
import type { OutboundMessage } from './OutboundMessage'

/** What the mediator read off an inbound message (`acapy_agent/transport/inbound/receipt.py`). */
export interface MessageReceipt {
  senderVerkey?: string
  recipientVerkey?: string
  /** `~transport.return_route` when it asks for a direct response: `all` or `thread`. */
  directResponseMode?: 'all' | 'thread'
  threadId?: string
}

export type AcceptResult = { accepted: boolean; retry: boolean }

/**
 * ACA-Py's `InboundSession` (`acapy_agent/transport/inbound/session.py`): an open transport
 * connection that outbound messages may go back through. What matters for a mediation client:
 * - the reply mode is that of the session's *latest* inbound message: one without `return_route`
 *   resets it, and the session takes nothing more (`reply_mode` setter, `process_inbound`);
 * - only messages for a key the session has seen a message from (`reply_verkeys`);
 * - one message buffered at a time: a second one is refused with "retry" while the first has not
 *   been written (`accept_response`), and the caller queues it or drops it.
 */
export class InboundSession {
  public readonly id = randomUUID()
  public replyMode?: 'all' | 'thread'
  public readonly replyVerkeys = new Set<string>()
  private readonly replyThreadIds = new Set<string>()
  public buffer?: OutboundMessage
  public closed = false

  public constructor(
    public readonly transport: 'http' | 'ws',
    public canRespond: boolean,
    public readonly acceptUndelivered: boolean,
    /** Called when a message is buffered: the transport writes it out (the websocket's `wait_response`). */
    private readonly onBuffered: (session: InboundSession) => void = () => undefined,
  ) {}

  public get canRespondNow(): boolean {
    return this.canRespond && !this.closed
  }

  /** `process_inbound` */
  public processInbound(receipt: MessageReceipt): void {
    this.replyMode = receipt.directResponseMode
    if (!this.replyMode) this.replyThreadIds.clear()
    if (receipt.senderVerkey) this.replyVerkeys.add(receipt.senderVerkey)
    if (this.replyMode === 'thread' && receipt.threadId) this.replyThreadIds.add(receipt.threadId)
  }

  /** `select_outbound` */
  public selectOutbound(message: OutboundMessage): boolean {
    if (!this.canRespondNow) return false
    if (!message.replyToVerkey || !this.replyVerkeys.has(message.replyToVerkey)) return false
    if (this.replyMode === 'all') return true
    return (
      this.replyMode === 'thread' &&
      message.replyThreadId !== undefined &&
      this.replyThreadIds.has(message.replyThreadId)
    )
  }

  /** `accept_response` */
  public acceptResponse(message: OutboundMessage): AcceptResult {
    if (!this.selectOutbound(message)) return { accepted: false, retry: false }
    if (this.buffer) return { accepted: false, retry: true }
    this.buffer = message
    this.onBuffered(this)
    return { accepted: true, retry: false }
  }

  /** `clear_response`: the buffered message has been written. */
  public clearResponse(): void {
    this.buffer = undefined
  }

  public close(): void {
    this.closed = true
  }
}
