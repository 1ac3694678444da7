import { type Agent, type InboundTransport, type Logger, TransportService, utils } from '@credo-ts/core'
// Credo's own session over a socket (return-route replies); the transport around it is what is replaced.
import { WebSocketTransportSession } from '@credo-ts/node/build/transport/WsInboundTransport'
import { StorageUnavailableError } from '@proxy-mediator/proxy-mediator'
import type { RawData, WebSocket, WebSocketServer } from 'ws'
import type { ProxyMediatorControlProvider } from '../web/ProxyMediatorControl'
import type { RecordRefusal } from '../web/RefusalRecorder'
import { BadRequestError } from '../web/errorResponses'
import { classifyInboundError } from './classifyInboundError'
import { type InboundLimits, gateInboundMessage } from './gateInboundMessage'

/** Close codes (RFC 6455, and IANA's 1013): a frame refused for its content, for its size, and one not taken for now. */
const POLICY_VIOLATION = 1008
const MESSAGE_TOO_BIG = 1009
const TRY_AGAIN_LATER = 1013
/** A close frame's reason holds at most 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123

export interface DidcommWebSocketInboundTransportOptions {
  /** Fed by the HTTP server's `upgrade` event (see attachWebSocketUpgrade). */
  webSocketServer: WebSocketServer
  control: ProxyMediatorControlProvider
  limits: InboundLimits
  recordRefusal: RecordRefusal
  logger: Logger
}

/**
 * The DIDComm websocket endpoint. Every frame goes through the same gate as an HTTP POST
 * (`gateInboundMessage`), before any key look-up: a frame it refuses closes the socket with the
 * reason (1008, or 1009 for its size), and is logged once per reason and minute like any refusal.
 * A forward is taken into the relay there; anything else goes to the agent directly, as the HTTP
 * transport does, and input that Credo then refuses closes the socket with its reason too.
 *
 * Credo's WsInboundTransport, which this replaces, read every frame as it came (plaintext and
 * envelopes of 40,000 recipients included), logged each failure as an error, and kept every socket
 * it ever saw in a map.
 */
export class DidcommWebSocketInboundTransport implements InboundTransport {
  public constructor(private readonly options: DidcommWebSocketInboundTransportOptions) {}

  public async start(agent: Agent): Promise<void> {
    const transportService = agent.dependencyManager.resolve(TransportService)
    this.options.webSocketServer.on('connection', (socket: WebSocket) => {
      const session = new WebSocketTransportSession(utils.uuid(), socket, this.options.logger)
      socket.on('message', (data) => void this.receive(agent, socket, session, data))
      socket.once('close', () => transportService.removeSession(session))
    })
  }

  public async stop(): Promise<void> {
    for (const socket of this.options.webSocketServer.clients) socket.terminate()
  }

  private async receive(agent: Agent, socket: WebSocket, session: WebSocketTransportSession, data: RawData) {
    const { control, limits, logger } = this.options
    // Frames that arrive after a refusal, while the socket closes, are not read.
    if (socket.readyState !== socket.OPEN) return
    try {
      const verdict = await gateInboundMessage(rawBytes(data), control(), limits)
      if (verdict.kind === 'refused') return this.refuse(socket, verdict.refusal)
      if (verdict.kind === 'taken') return
      await agent.receiveMessage(verdict.envelope, session)
    } catch (error) {
      if (error instanceof StorageUnavailableError) return this.tryAgainLater(socket, error)
      const classified = classifyInboundError(error)
      if (classified instanceof BadRequestError) return this.refuse(socket, classified)
      // The proxy's own failure, not the client's input: logged with its stack, the socket stays.
      try {
        logger.error('A websocket DIDComm message failed', { error })
      } catch {
        // A logger that throws must not become an unhandled rejection.
      }
    }
  }

  /** The proxy cannot keep the forward now (its store takes no writes): the client sends it again later. */
  private tryAgainLater(socket: WebSocket, error: StorageUnavailableError) {
    this.options.recordRefusal('storage_unavailable', `Websocket frame not taken: ${error.message}`)
    if (socket.readyState === socket.OPEN) socket.close(TRY_AGAIN_LATER, 'storage_unavailable')
  }

  private refuse(socket: WebSocket, refusal: BadRequestError) {
    this.options.recordRefusal(refusal.code, `Websocket frame rejected: ${refusal.code}: ${refusal.message}`)
    const code = refusal.code === 'payload_too_large' ? MESSAGE_TOO_BIG : POLICY_VIOLATION
    // The client learns why from the close frame.
    if (socket.readyState === socket.OPEN) socket.close(code, closeReason(refusal.code))
  }
}

function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

function closeReason(code: string): string {
  return Buffer.byteLength(code) <= MAX_CLOSE_REASON_BYTES ? code : code.slice(0, MAX_CLOSE_REASON_BYTES)
}
