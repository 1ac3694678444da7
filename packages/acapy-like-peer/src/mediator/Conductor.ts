import { randomUUID } from 'node:crypto'
import { type Envelope, pack, unpack } from '../envelope'
import { forwarded } from '../forward'
import { DeliveryQueue } from './DeliveryQueue'
import type { InboundSession, MessageReceipt } from './InboundSession'
import type { MediatorConnection, MediatorStore } from './MediatorStore'
import type { OutboundMessage } from './OutboundMessage'
import { type Message, type ParsedType, parseType, typeOf } from '../messageTypes'

/** What a handler gets: ACA-Py's `RequestContext` and `BaseResponder`, cut to what is used. */
export interface HandlerContext {
  message: Message
  type: ParsedType
  receipt: MessageReceipt
  session: InboundSession
  /** The connection the message came on, found by the key it was encrypted to. */
  connection?: MediatorConnection
  /**
   * `responder.send_reply`: back on the session if it takes it, else to the connection's endpoint.
   * A handshake names the connection it has just made, which the context does not know yet.
   */
  reply(message: Message, connection?: MediatorConnection): void
}

export type Handler = (context: HandlerContext) => void

/** A message the mediator could not read (`MessageParseError`, `WireFormatParseError`). */
export class MessageParseError extends Error {}

/** What happened to a forwarded message, for a test to count what ACA-Py's window lost. */
export type ForwardFate = 'written-to-session' | 'posted' | 'queued' | 'dropped'

export interface ConductorEvents {
  /** A message, the mediator's own or a forward, was written to a websocket session. */
  written?(session: InboundSession, message: OutboundMessage): void
  forwarded?(fate: ForwardFate, message: OutboundMessage): void
  problemReport?(message: Message): void
  /** A pickup 2.0 delivery handed out this many messages. */
  pickedUp?(count: number): void
}

/**
 * ACA-Py's conductor and inbound transport manager (`acapy_agent/core/conductor.py`,
 * `acapy_agent/transport/inbound/manager.py`) as a mediation client meets them: each inbound
 * message is read, handled, and on completion (`dispatch_complete`) one queued message may leave on
 * its session (`process_undelivered`); each outbound message goes back through a session that
 * takes it (`return_to_session`), else to the connection's endpoint. The proxy's endpoint is
 * `didcomm:transport/queue`, for which ACA-Py has no transport, so such a message goes to the
 * undelivered queue when there is one (`handle_not_delivered`) and is dropped otherwise.
 */
export class Conductor {
  public readonly sessions = new Map<string, InboundSession>()
  private readonly handlers = new Map<string, { minMinor: number; handle: Handler }>()

  public constructor(
    private readonly store: MediatorStore,
    /** `--enable-undelivered-queue`; undefined without it. */
    public readonly queue: DeliveryQueue | undefined,
    private readonly events: ConductorEvents = {},
  ) {}

  /**
   * Registers a handler for `protocol/major.minor/name`. As ACA-Py's `ProtocolRegistry`, a message
   * of a higher minor version than the one registered is handled by it (`resolve_message_class`).
   */
  public register(typeWithoutPrefix: string, handle: Handler): void {
    const parsed = parseType(typeOf(typeWithoutPrefix)) as ParsedType
    this.handlers.set(`${parsed.protocol}/${parsed.major}/${parsed.name}`, { minMinor: parsed.minor, handle })
  }

  public supports(protocol: string, major: number, minor: number): boolean {
    for (const [key, { minMinor }] of this.handlers) {
      if (key.startsWith(`${protocol}/${major}/`) && minor >= minMinor) return true
    }
    return false
  }

  public openSession(session: InboundSession): void {
    this.sessions.set(session.id, session)
  }

  /**
   * `closed_session`: a message still buffered goes back through `queue_outbound`, so to the
   * undelivered queue if there is one. A message already written to a socket that died is gone.
   */
  public closeSession(session: InboundSession): void {
    session.close()
    this.sessions.delete(session.id)
    const buffered = session.buffer
    session.clearResponse()
    if (buffered) this.notDelivered(buffered)
  }

  /** `InboundSession.receive` and the dispatch that follows, to `dispatch_complete`. */
  public receive(session: InboundSession, raw: string | Buffer): MessageReceipt {
    const { message, receipt } = this.parse(raw)
    session.processInbound(receipt)
    const connection = this.store.connectionByOurKey(receipt.recipientVerkey)
    const context: HandlerContext = {
      message,
      type: parseType(message['@type']) as ParsedType,
      receipt,
      session,
      connection,
      reply: (reply, to = connection) =>
        this.route({
          payload: reply,
          replyToVerkey: receipt.senderVerkey,
          replyFromVerkey: receipt.recipientVerkey,
          replyThreadId: receipt.threadId,
          replySessionId: session.id,
          connectionId: to?.id,
          target: to?.theirService,
        }),
    }
    try {
      this.dispatch(context)
    } finally {
      this.dispatchComplete(session)
    }
    return receipt
  }

  /** Packs what a session is about to write: a forward as it is, a message of the mediator's own for the reply key. */
  public encode(message: OutboundMessage): string {
    if (message.encPayload) return message.encPayload
    if (!message.payload || !message.replyToVerkey) throw new Error('No payload or no reply key to encode for')
    const sender = message.replyFromVerkey ? this.store.keys.get(message.replyFromVerkey) : undefined
    return JSON.stringify(pack(message.payload, [message.replyToVerkey], sender))
  }

  /** `_outbound_message_router`: a session that takes it, else `queue_outbound`. */
  public route(message: OutboundMessage): 'session' | 'queued' | 'dropped' | 'sent' {
    if (message.replyToVerkey && this.returnToSession(message)) return 'session'
    return this.notDelivered(message)
  }

  /** `return_to_session`: the session of the inbound message first, then any other. */
  private returnToSession(message: OutboundMessage): boolean {
    const preferred = message.replySessionId ? this.sessions.get(message.replySessionId) : undefined
    if (preferred?.acceptResponse(message).accepted) return true
    for (const session of this.sessions.values()) {
      if (session !== preferred && session.acceptResponse(message).accepted) return true
    }
    return false
  }

  /**
   * `queue_outbound`: to the connection's endpoint when it is HTTP (ACA-Py's `http` outbound
   * transport, packed for the target as `encode_outbound_message` does), else, for an endpoint no
   * transport takes (the proxy's `didcomm:transport/queue`), `handle_not_delivered`: the
   * undelivered queue, or nowhere.
   */
  private notDelivered(message: OutboundMessage): 'queued' | 'dropped' | 'sent' {
    const endpoint = message.target?.endpoint
    if (endpoint && /^https?:/i.test(endpoint)) {
      void this.post(endpoint, message)
      return 'sent'
    }
    if (this.queue) {
      this.queue.add(message)
      return 'queued'
    }
    return 'dropped'
  }

  private async post(endpoint: string, message: OutboundMessage): Promise<void> {
    const target = message.target as NonNullable<OutboundMessage['target']>
    const connection = message.connectionId ? this.store.connections.get(message.connectionId) : undefined
    const packed: Envelope = message.encPayload
      ? (JSON.parse(message.encPayload) as Envelope)
      : pack(message.payload as Message, target.recipientKeys, connection?.ourKey)
    const envelope = forwarded(packed, target.recipientKeys[0], target.routingKeys)
    try {
      await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/didcomm-envelope-enc' },
        body: JSON.stringify(envelope),
      })
    } catch {
      // ACA-Py retries a few times, then logs it as undeliverable: nothing the mediator's other work waits for.
    }
  }

  /** `dispatch_complete` then `process_undelivered`: at most one queued message per inbound message. */
  private dispatchComplete(session: InboundSession): void {
    if (!this.queue || !session.acceptUndelivered || session.buffer || !session.canRespondNow) return
    for (const key of session.replyVerkeys) {
      for (const queued of this.queue.messagesFor(key)) {
        if (session.acceptResponse(queued).accepted) this.queue.remove(key, queued)
      }
    }
  }

  private dispatch(context: HandlerContext): void {
    const { type, message } = context
    const entry = type && this.handlers.get(`${type.protocol}/${type.major}/${type.name}`)
    if (type?.name === 'problem_report' || type?.name === 'problem-report') {
      this.events.problemReport?.(message)
      return
    }
    if (!entry || type.minor < entry.minMinor) {
      // The dispatcher's answer to a type it cannot resolve (`acapy_agent/core/dispatcher.py`).
      context.reply({
        '@type': typeOf('notification/1.0/problem-report'),
        '@id': randomUUID(),
        '~thread': { thid: context.receipt.threadId },
        description: {
          en: `Message parse error: Unrecognized message type ${message['@type']}`,
          code: 'message-parse-failure',
        },
      })
      return
    }
    entry.handle(context)
  }

  /** `PackWireFormat.parse_message`: an envelope for one of the mediator's keys, or plaintext JSON. */
  private parse(raw: string | Buffer): { message: Message; receipt: MessageReceipt } {
    let json: unknown
    try {
      json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'))
    } catch {
      throw new MessageParseError('Message JSON parsing failed')
    }
    let message: Message
    let receipt: MessageReceipt = {}
    if (json && typeof json === 'object' && 'protected' in json) {
      try {
        const unpacked = unpack(json as Envelope, [...this.store.keys.values()])
        message = unpacked.message as Message
        receipt = { senderVerkey: unpacked.senderVerkey, recipientVerkey: unpacked.recipientVerkey }
      } catch (error) {
        throw new MessageParseError(`Message unpack failed: ${(error as Error).message}`)
      }
    } else {
      message = json as Message
    }
    if (!message || typeof message['@type'] !== 'string') throw new MessageParseError('Message does not contain @type')
    const transport = message['~transport'] as { return_route?: string } | undefined
    const mode = transport?.return_route
    const thread = message['~thread'] as { thid?: string } | undefined
    receipt.directResponseMode = mode === 'all' || mode === 'thread' ? mode : undefined
    receipt.threadId = thread?.thid ?? message['@id']
    return { message, receipt }
  }
}
