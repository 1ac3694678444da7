import {
  type AgentContext,
  type AgentDependencies,
  AgentEventTypes,
  type AgentMessage,
  type AgentMessageReceivedEvent,
  type ConnectionRecord,
  ConnectionService,
  DidsApi,
  type EncryptedMessage,
  EventEmitter,
  JsonTransformer,
  MessageReceiver,
  MessageSender,
  OutboundMessageContext,
  ReturnRouteTypes,
  TrustPingMessage,
  V2MessagesReceivedMessage,
  injectable,
} from '@credo-ts/core'
import { ProxyMediatorStateService } from '../../ProxyMediatorStateService'
import type { UpstreamSocketState } from '../../models/ProxyMediatorStatus'
import { isEncryptedEnvelope, recipientKids } from '../../utils/envelope'
import { normalizedUrl } from '../../utils/normalizedUrl'
import { sideEffect } from '../../utils/sideEffect'
import { type ForwardLayer, RelayPipeline } from '../relay/RelayPipeline'
import type { UpstreamMediator } from './UpstreamMediator'
import { UpstreamMediatorSet } from './UpstreamMediatorSet'
import type { TrackedSocket, UpstreamSocket } from './UpstreamSocket'
import { deliveryRequestFor } from './deliveryRequestFor'

type WebSocketClass = AgentDependencies['WebSocketClass']

/** One message of a pickup 2.0 `delivery`: the queue's id for it, and the envelope as attached. */
export interface PickedUpMessage {
  id: string
  envelope: unknown
}

const DELIVERY_TYPES = new Set([
  'https://didcomm.org/messagepickup/2.0/delivery',
  'did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/messagepickup/2.0/delivery',
])
const STATUS_TYPES = new Set([
  'https://didcomm.org/messagepickup/2.0/status',
  'did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/messagepickup/2.0/status',
])
const SOCKET_CONNECTING = 0
const SOCKET_OPEN = 1

/**
 * The proxy's one way in from the external mediators, and its one way back. Frames from a
 * mediator's websocket are read here before Credo sees them, and decrypted once: a pickup 2.0
 * `delivery` and a forward for the routing key (implicit pickup) go straight to the relay
 * pipeline; anything else goes on to Credo already decrypted, with its connection. Deliveries that
 * came through Credo's pipeline (polling) arrive here too, from the pickup protocol. Each frame's
 * mediator is found by key (or by socket) in `UpstreamMediatorSet`, and told directly. Every
 * acknowledgement is batched by its mediator and written on the mediator's socket, or sent with
 * Credo's MessageSender when there is no open socket.
 *
 * Through Credo's pipeline, every frame costs a connection look-up by keys (three storage queries),
 * class transformation and validation, and every messages-received a DID resolution: measured,
 * most of the proxy's CPU.
 */
@injectable()
export class UpstreamChannel {
  /** Every outbound websocket of the agent that is not closed yet, so that a socket's state is its own. */
  private readonly sockets = new Set<TrackedSocket>()
  private agentContext?: AgentContext

  public constructor(
    private readonly connectionService: ConnectionService,
    private readonly messageSender: MessageSender,
    private readonly messageReceiver: MessageReceiver,
    private readonly eventEmitter: EventEmitter,
    private readonly state: ProxyMediatorStateService,
    private readonly pipeline: RelayPipeline,
    private readonly mediators: UpstreamMediatorSet,
  ) {}

  /**
   * The agent's WebSocket class with the channel's seam: every inbound frame is offered to the
   * channel first, and reaches Credo's transport unchanged unless the channel took it.
   */
  public static wrapWebSocketClass(Base: WebSocketClass, channel: () => UpstreamChannel): WebSocketClass {
    type MessageListener = (event: { data: unknown }) => void
    type EventTargetSocket = UpstreamSocket & {
      addEventListener(type: string, listener: MessageListener, options?: unknown): void
      removeEventListener(type: string, listener: MessageListener): void
    }
    const Intercepting = class extends (Base as unknown as new (...args: unknown[]) => EventTargetSocket) {
      private readonly wrappedListeners = new Map<MessageListener, MessageListener>()

      public constructor(...args: unknown[]) {
        super(...args)
        // Watched from birth: a socket Credo opened before a pickup session started is still known
        // as open (it was, with ACA-Py, whose DID document lists its websocket).
        channel().trackSocket(this as unknown as TrackedSocket)
      }

      public override addEventListener(type: string, listener: MessageListener, options?: unknown): void {
        if (type !== 'message') {
          super.addEventListener(type, listener, options)
          return
        }
        const wrapped: MessageListener = (event) => {
          channel()
            .receiveFrame(event.data, this)
            .then(
              (taken) => taken || listener.call(this, event),
              () => listener.call(this, event),
            )
        }
        this.wrappedListeners.set(listener, wrapped)
        super.addEventListener(type, wrapped, options)
      }

      public override removeEventListener(type: string, listener: MessageListener): void {
        const wrapped = this.wrappedListeners.get(listener)
        this.wrappedListeners.delete(listener)
        super.removeEventListener(type, wrapped ?? listener)
      }
    }
    return Intercepting as unknown as WebSocketClass
  }

  /**
   * Starts reading the frames of this mediator: its connection's keys are resolved once, here, and
   * the sockets already open to it are found.
   */
  public async open(agentContext: AgentContext, mediator: UpstreamMediator): Promise<void> {
    this.agentContext = agentContext
    await this.state.proxyRoutingKey(agentContext)
    const connection = await this.connectionService.getById(agentContext, mediator.id)
    if (!connection.did || !connection.theirDid) return
    const dids = agentContext.dependencyManager.resolve(DidsApi)
    const [ours] = (await dids.resolveDidDocument(connection.did)).recipientKeys
    const theirDocument = await dids.resolveDidDocument(connection.theirDid)
    const [theirs] = theirDocument.recipientKeys
    if (!ours || !theirs) return
    const websocketEndpoints = new Set(
      (theirDocument.didCommServices ?? [])
        .map((service) => service.serviceEndpoint)
        .filter((endpoint) => /^wss?:/i.test(endpoint))
        .map(normalizedUrl),
    )
    mediator.keys = { connection, ours: ours.publicKeyBase58, theirs: theirs.publicKeyBase58, websocketEndpoints }
    mediator.socket = this.openSocketOf(mediator)
    mediator.hadSocket = [...this.sockets].some((socket) => mediator.isWebsocketUrl(socket.url))
  }

  /** Called by the wrapped socket class for every outbound websocket, as it is made. */
  public trackSocket(socket: TrackedSocket): void {
    this.sockets.add(socket)
    socket.addEventListener('open', () => this.socketChanged(socket))
    socket.addEventListener('close', () => {
      this.sockets.delete(socket)
      this.socketChanged(socket)
    })
    socket.addEventListener('error', (event) => {
      const reason = event.message ?? (event.error as Error | undefined)?.message
      for (const mediator of this.mediators.withWebsocketUrl(socket.url)) mediator.lastSocketError = reason
    })
    this.socketChanged(socket)
  }

  /** The state of the mediator's websocket, read off the sockets themselves. */
  public socketState(mediator: UpstreamMediator): UpstreamSocketState {
    if (!mediator.keys) return 'none'
    let connecting = false
    for (const socket of this.sockets) {
      if (!mediator.isWebsocketUrl(socket.url)) continue
      if (socket.readyState === SOCKET_OPEN) return 'open'
      if (socket.readyState === SOCKET_CONNECTING) connecting = true
    }
    if (connecting) return 'connecting'
    return mediator.hadSocket ? 'closed' : 'none'
  }

  /**
   * Asks the mediator for what it holds, on its socket: a trust ping that wants no answer but asks
   * for `return_route: all`. A mediator like ACA-Py's lets one queued message out per message it
   * takes in on a session, and a ping that wants no answer makes no answer of its own to compete
   * with that message for the session. False when no socket is open.
   */
  public pull(agentContext: AgentContext, mediator: UpstreamMediator): Promise<boolean> {
    return this.write(agentContext, mediator, new TrustPingMessage({ responseRequested: false }))
  }

  /**
   * Asks the mediator to stop writing to this socket, and keep what comes: a message without
   * return route, which resets the session's reply mode (ACA-Py's and Credo's alike). The socket
   * stays open, and the keepalive with it.
   */
  public quiet(agentContext: AgentContext, mediator: UpstreamMediator): Promise<boolean> {
    return this.write(agentContext, mediator, new TrustPingMessage({ responseRequested: false }), ReturnRouteTypes.none)
  }

  /** Closes every socket to this mediator: what it writes then stays with it. */
  public closeSockets(mediator: UpstreamMediator, reason: string): void {
    for (const socket of this.sockets) if (mediator.isWebsocketUrl(socket.url)) socket.close(1001, reason)
  }

  private socketChanged(socket: TrackedSocket): void {
    for (const mediator of this.mediators.withWebsocketUrl(socket.url)) {
      mediator.hadSocket = true
      if (socket.readyState === SOCKET_OPEN) {
        mediator.socket = socket
        mediator.lastSocketError = undefined
      } else if (mediator.socket === socket) mediator.socket = this.openSocketOf(mediator)
      sideEffect(() => mediator.session.socketChanged())
    }
  }

  private openSocketOf(mediator: UpstreamMediator): TrackedSocket | undefined {
    for (const socket of this.sockets) {
      if (socket.readyState === SOCKET_OPEN && mediator.isWebsocketUrl(socket.url)) return socket
    }
    return undefined
  }

  /** The seam: true once the frame is taken; false leaves it to Credo unchanged. */
  public async receiveFrame(data: unknown, socket: UpstreamSocket): Promise<boolean> {
    const { agentContext } = this
    const routingKey = this.state.knownRoutingKey
    if (!agentContext || !routingKey || this.mediators.size === 0) return false
    let envelope: unknown
    try {
      envelope = JSON.parse(typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8'))
    } catch {
      return false
    }
    if (!isEncryptedEnvelope(envelope)) return false
    const kids = recipientKids(envelope)
    if (kids.includes(routingKey)) {
      // Implicit pickup: the mediator writes each queued forward, with nothing to acknowledge.
      await this.takeStreamed(agentContext, socket, { encrypted: envelope })
      return true
    }
    const agentKey = this.pipeline.agentKeyOf(kids)
    if (agentKey) {
      // Implicit pickup in transparent mode: the agent's own envelope, relayed unopened.
      await this.takeStreamed(agentContext, socket, { unopened: envelope, recipientKey: agentKey })
      return true
    }
    const mediator = this.mediators.withOurKey(kids)
    if (!mediator?.keys) return false
    const { plaintextMessage, senderKey } = await agentContext.wallet.unpack(envelope)
    if (senderKey !== mediator.keys.theirs) return false
    mediator.socket = socket
    try {
      await this.receiveFromMediator(agentContext, mediator, plaintextMessage)
    } catch (error) {
      // Decrypted and taken: handing the frame back would make Credo decrypt and handle it a second
      // time (a trust ping answered twice). Credo's own receive loop logs and goes on, and so does this.
      sideEffect(() =>
        agentContext.config.logger.error(
          `Could not handle a '${String(plaintextMessage['@type'])}' from the mediator`,
          {
            error,
          },
        ),
      )
    }
    return true
  }

  /** A message of the mediator itself, decrypted once and checked to come from it. */
  private async receiveFromMediator(
    agentContext: AgentContext,
    mediator: UpstreamMediator,
    plaintextMessage: Record<string, unknown>,
  ): Promise<void> {
    const type = String(plaintextMessage['@type'])
    if (DELIVERY_TYPES.has(type)) {
      const attachments = plaintextMessage['~attach']
      await this.receiveDelivery(
        agentContext,
        mediator,
        (Array.isArray(attachments) ? attachments : []).map(toPickedUpMessage),
      )
    } else if (STATUS_TYPES.has(type) && typeof plaintextMessage.message_count === 'number') {
      // The mediator's answer to each acknowledgement: through Credo it would cost a transformation,
      // a validation and a send that resolves the mediator's DID from storage, per batch.
      const request = deliveryRequestFor(agentContext, mediator, plaintextMessage.message_count)
      if (request) await this.write(agentContext, mediator, request)
    } else {
      // Anything else from the mediator (problem reports, trust pings...) goes to Credo, decrypted once.
      await this.messageReceiver.receiveMessage(plaintextMessage, { connection: mediator.keys?.connection })
    }
  }

  /**
   * The messages of one pickup 2.0 delivery: each forward for the routing key is submitted to the
   * relay, which acknowledges it only once the agent answered 2xx (or once it can never be relayed);
   * anything else is Credo's, and acknowledged at once. Returns without waiting for the relays.
   * Both callers found the mediator already (the frame's, or the connection's in the pickup protocol).
   */
  public async receiveDelivery(agentContext: AgentContext, mediator: UpstreamMediator, messages: PickedUpMessage[]) {
    mediator.notePickup()
    const routingKey = await this.state.proxyRoutingKey(agentContext)
    const connectionId = mediator.id
    const ours = mediator.keys?.ours
    for (const { id, envelope } of messages) {
      // By id when it is due: the mediator may have been removed meanwhile.
      const acknowledge = () => this.acknowledge(agentContext, connectionId, id)
      const source = { kind: 'pickup', channelId: connectionId, messageId: id, acknowledge } as const
      const kids = isEncryptedEnvelope(envelope) ? recipientKids(envelope) : undefined
      const agentKey = kids && this.pipeline.agentKeyOf(kids)
      if (agentKey) {
        // Transparent mode: the agent's own envelope, relayed unopened.
        await this.pipeline.submit(
          agentContext,
          { unopened: envelope as EncryptedMessage, recipientKey: agentKey },
          source,
        )
        continue
      }
      if (kids && ours && kids.includes(ours)) {
        // A message of the mediator's own that waited in its queue (ACA-Py queues an answer that
        // found the session busy, and its pickup plugin delivers it like any other).
        acknowledge()
        await this.receiveQueuedFromMediator(agentContext, mediator, envelope as EncryptedMessage)
        continue
      }
      if (kids && !kids.includes(routingKey)) {
        // Not a forward for the proxy: Credo processes it as usual.
        this.eventEmitter.emit<AgentMessageReceivedEvent>(agentContext, {
          type: AgentEventTypes.AgentMessageReceived,
          payload: { message: envelope, contextCorrelationId: agentContext.contextCorrelationId },
        })
        acknowledge()
        continue
      }
      await this.pipeline.submit(agentContext, { encrypted: envelope }, source)
    }
  }

  /**
   * A queued message of the mediator's own, from a delivery. A pickup status or delivery that waited
   * in the queue is stale (the queue's content changed since), and answering it would ask for more
   * of the same: it is dropped. Anything else (a keylist-update-response, a problem report) goes to
   * Credo, decrypted once.
   */
  private async receiveQueuedFromMediator(
    agentContext: AgentContext,
    mediator: UpstreamMediator,
    envelope: EncryptedMessage,
  ): Promise<void> {
    try {
      const { plaintextMessage, senderKey } = await agentContext.wallet.unpack(envelope)
      const { keys } = mediator
      if (!keys || senderKey !== keys.theirs) return
      const type = String(plaintextMessage['@type'])
      if (DELIVERY_TYPES.has(type) || STATUS_TYPES.has(type)) return
      await this.messageReceiver.receiveMessage(plaintextMessage, { connection: keys.connection })
    } catch (error) {
      sideEffect(() => agentContext.config.logger.error('Could not handle a queued message of the mediator', { error }))
    }
  }

  private acknowledge(agentContext: AgentContext, connectionId: string, messageId: string): void {
    const mediator = this.mediators.get(connectionId)
    // Removed meanwhile: acknowledged alone, so that a message settled late is not offered again.
    if (mediator) mediator.acknowledgements.add(messageId)
    else void this.sendAcknowledgement(agentContext, undefined, connectionId, [messageId])
  }

  /**
   * A messages-received for these ids, on the mediator's socket, else with Credo's MessageSender.
   * Never throws: a lost acknowledgement only means the mediator offers the messages again.
   */
  public async sendAcknowledgement(
    agentContext: AgentContext,
    mediator: UpstreamMediator | undefined,
    connectionId: string,
    messageIds: string[],
  ): Promise<'socket' | 'message-sender' | 'failed'> {
    const message = new V2MessagesReceivedMessage({ messageIdList: messageIds })
    try {
      if (mediator && (await this.write(agentContext, mediator, message))) return 'socket'
      const connection =
        mediator?.keys?.connection ?? (await this.connectionService.getById(agentContext, connectionId))
      await this.messageSender.sendMessage(new OutboundMessageContext(message, { agentContext, connection }), {
        transportPriority: { schemes: ['wss', 'ws'] },
      })
      return 'message-sender'
    } catch (error) {
      // A re-offered message that was already relayed is acknowledged again without a second relay.
      agentContext.config.logger.warn(`Could not acknowledge ${messageIds.length} picked-up messages`, { error })
      return 'failed'
    }
  }

  /** Packs a message for the mediator and writes it on its socket; false when there is no open socket. */
  private async write(
    agentContext: AgentContext,
    mediator: UpstreamMediator,
    message: AgentMessage,
    returnRoute = ReturnRouteTypes.all,
  ): Promise<boolean> {
    const { keys } = mediator
    const socket = mediator.socket?.readyState === SOCKET_OPEN ? mediator.socket : this.openSocketOf(mediator)
    if (!socket || !keys) return false
    // As Credo sets it for an agent without an inbound endpoint: answers come back on this socket.
    message.setReturnRouting(returnRoute)
    const packed = await agentContext.wallet.pack(JsonTransformer.toJSON(message), [keys.theirs], keys.ours)
    socket.send(JSON.stringify(packed))
    return true
  }

  /**
   * A message the mediator wrote with nothing to acknowledge: once it is in the outbox, its
   * mediator's session hears of it (and asks for the next one).
   */
  private async takeStreamed(agentContext: AgentContext, socket: UpstreamSocket, layer: ForwardLayer): Promise<void> {
    const mediator = this.mediators.ofSocket(socket)
    mediator?.notePickup()
    await this.pipeline.submit(agentContext, layer, { kind: 'stream' })
    if (mediator) sideEffect(() => mediator.session.streamed())
  }
}

function toPickedUpMessage(attachment: { '@id'?: unknown; data?: { json?: unknown; base64?: unknown } }) {
  const id = String(attachment?.['@id'] ?? '')
  const { json, base64 } = attachment?.data ?? {}
  if (json !== undefined) return { id, envelope: json }
  if (typeof base64 === 'string') {
    try {
      return { id, envelope: JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) }
    } catch {
      return { id, envelope: undefined }
    }
  }
  return { id, envelope: undefined }
}
