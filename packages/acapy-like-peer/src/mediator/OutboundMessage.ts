import type { DidCommService } from '../dids'
import type { Message } from '../messageTypes'

/**
 * ACA-Py's `OutboundMessage` (`acapy_agent/transport/outbound/message.py`), cut to what a mediator
 * uses: a message of its own (`payload`, packed when it leaves) or one already packed
 * (`encPayload`: a forwarded envelope, which ACA-Py never opens), and the keys and session it may
 * go back through.
 */
export interface OutboundMessage {
  payload?: Message
  encPayload?: string
  /** The key a session must have seen a message from, for the message to leave on it. */
  replyToVerkey?: string
  /** Which of the mediator's keys packs a reply: the one the inbound message was encrypted to. */
  replyFromVerkey?: string
  replyThreadId?: string
  replySessionId?: string
  connectionId?: string
  /** The connection's service (`target_list[0]`), used when no session takes the message. */
  target?: DidCommService
}
