import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { type Conductor, type ConductorEvents, MessageParseError } from './Conductor'
import { InboundSession } from './InboundSession'

/**
 * ACA-Py's two inbound transports, each on its own port as `--inbound-transport http ...` and
 * `--inbound-transport ws ...` open them:
 * - HTTP (`transport/inbound/http.py`): one session per POST; with `return_route` the answer (one
 *   message at most) is the response body, else an empty 200 once the message is read;
 * - websocket (`transport/inbound/ws.py`): one session per socket, pings answered by aiohttp
 *   (`autoping`); a buffered message is written as a *binary* frame (ACA-Py packs to bytes), then the
 *   buffer is cleared; a frame it cannot read closes the socket with 1003.
 */
export class InboundTransports {
  private http?: Server
  private ws?: WebSocketServer

  public constructor(
    private readonly conductor: () => Conductor,
    private readonly events: ConductorEvents,
    private readonly host: string,
  ) {}

  public async start(httpPort: number, wsPort: number): Promise<{ httpPort: number; wsPort: number }> {
    this.http = createServer((request, response) => this.receivePost(request, response))
    await new Promise<void>((resolve, reject) => {
      this.http?.once('error', reject)
      this.http?.listen(httpPort, this.host, resolve)
    })
    const ws = new WebSocketServer({ host: this.host, port: wsPort })
    this.ws = ws
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject)
      ws.once('listening', resolve)
    })
    ws.on('connection', (socket) => this.serveSocket(socket))
    return {
      httpPort: (this.http.address() as AddressInfo).port,
      wsPort: (ws.address() as AddressInfo).port,
    }
  }

  /**
   * As ACA-Py's process ends. Gracefully (a restart, SIGTERM): each websocket is closed with a close
   * frame, after what was written to it, and the session's buffered message goes back to the queue
   * (`closed_session`). As a crash: every socket is cut at once, nothing is flushed.
   */
  public async stop(how: 'graceful' | 'crash'): Promise<void> {
    const sockets = [...(this.ws?.clients ?? [])]
    if (how === 'graceful') {
      const closed = sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve)))
      for (const socket of sockets) socket.close(1001, 'going away')
      await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 2_000))])
    }
    for (const socket of sockets) socket.terminate()
    await new Promise((resolve) => this.ws?.close(resolve) ?? resolve(undefined))
    this.http?.closeAllConnections()
    await new Promise((resolve) => this.http?.close(resolve) ?? resolve(undefined))
    this.ws = undefined
    this.http = undefined
  }

  private receivePost(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const conductor = this.conductor()
      const session = new InboundSession('http', true, true)
      conductor.openSession(session)
      try {
        const receipt = conductor.receive(session, Buffer.concat(chunks))
        const buffered = receipt.directResponseMode ? session.buffer : undefined
        session.canRespond = false
        session.clearResponse()
        if (buffered) {
          response
            .writeHead(200, { 'content-type': 'application/didcomm-envelope-enc' })
            .end(conductor.encode(buffered))
        } else response.writeHead(200).end()
      } catch (error) {
        const status = error instanceof MessageParseError ? 400 : 500
        response.writeHead(status, { 'content-type': 'text/plain' }).end((error as Error).message)
      } finally {
        conductor.closeSession(session)
      }
    })
  }

  private serveSocket(socket: WebSocket): void {
    const conductor = this.conductor()
    const session = new InboundSession('ws', true, true, () => setImmediate(() => this.writeBuffered(session, socket)))
    conductor.openSession(session)
    socket.on('message', (data: Buffer) => {
      try {
        conductor.receive(session, data)
      } catch (error) {
        if (error instanceof MessageParseError) socket.close(1003)
      }
    })
    socket.on('close', () => conductor.closeSession(session))
    socket.on('error', () => undefined)
  }

  /** The websocket's `wait_response` turn: encode the buffered message, write it, clear the buffer. */
  private writeBuffered(session: InboundSession, socket: WebSocket): void {
    const message = session.buffer
    if (!message || session.closed || socket.readyState !== WebSocket.OPEN) return
    try {
      socket.send(Buffer.from(this.conductor().encode(message), 'utf8'))
      this.events.written?.(session, message)
    } finally {
      session.clearResponse()
    }
  }
}
