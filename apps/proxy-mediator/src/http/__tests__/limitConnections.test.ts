import type { Server } from 'node:http'
import { type Socket, connect } from 'node:net'
import express from 'express'
import WebSocket, { WebSocketServer } from 'ws'
import { limitConnections } from '../limitConnections'
import { listenOnHost } from '../listenOnHost'

/** Connects, sends `data`, and resolves with what the server wrote before it closed the socket. */
function answerTo(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(data))
    let answer = ''
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
    })
    socket.once('close', () => resolve(answer))
    socket.once('error', reject)
  })
}

const opened = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })

describe('connection caps and request timeouts of a runner listener', () => {
  let server: Server
  let port: number
  const refusals: string[] = []

  const start = async (limits: { maxConnections: number; maxConnectionsPerAddress: number }) => {
    const app = express()
    app.get('/health', (_req, res) => void res.json({ status: 'ok' }))
    app.post('/', express.text({ type: () => true }), (_req, res) => void res.status(200).end())
    const { listening } = listenOnHost(app, '127.0.0.1', { headersTimeoutMs: 500, requestTimeoutMs: 800 }, (created) =>
      limitConnections(created, { ...limits, recordRefusal: (reason) => refusals.push(reason) }),
    )
    app.listen(0)
    server = await listening
    port = (server.address() as { port: number }).port
  }

  afterEach(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    refusals.length = 0
  })

  it('answers connections past the per-address cap with 429, and past the total with 503, before reading them', async () => {
    await start({ maxConnections: 1_000, maxConnectionsPerAddress: 3 })
    const held = await Promise.all([opened(port), opened(port), opened(port)])
    expect(await answerTo(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1.1 429 /)
    for (const socket of held) socket.destroy()
    // Served again once the server has seen them close.
    let answer = ''
    for (const deadline = Date.now() + 10_000; !answer.startsWith('HTTP/1.1 200 ') && Date.now() < deadline; ) {
      answer = await answerTo(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    }
    expect(answer).toMatch(/^HTTP\/1.1 200 /)
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))

    await start({ maxConnections: 2, maxConnectionsPerAddress: 100 })
    const two = await Promise.all([opened(port), opened(port)])
    expect(await answerTo(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1.1 503 /)
    for (const socket of two) socket.destroy()
    expect(refusals[0]).toBe('too_many_connections_from_address')
    expect(refusals.at(-1)).toBe('too_many_connections')
  })

  it('closes a request whose headers or body do not come in time', async () => {
    await start({ maxConnections: 1_000, maxConnectionsPerAddress: 100 })
    // The socket closing is the bound: with Node's defaults these would wait 60 s and 300 s.
    expect(await answerTo(port, 'GET /health HTTP/1.1\r\nHost: x\r\n')).toMatch(/^HTTP\/1.1 408 /)
    expect(await answerTo(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nten bytes.')).toMatch(
      /^HTTP\/1.1 408 /,
    )
  })

  it('leaves an open websocket alone once its upgrade request is done', async () => {
    await start({ maxConnections: 1_000, maxConnectionsPerAddress: 100 })
    const webSocketServer = new WebSocketServer({ noServer: true })
    server.on('upgrade', (request, socket, head) =>
      webSocketServer.handleUpgrade(request, socket, head, (webSocket) => webSocket.on('message', () => undefined)),
    )
    const socket = new WebSocket(`ws://127.0.0.1:${port}`)
    await new Promise((resolve) => socket.once('open', resolve))
    // Past the request timeout and one check of Node's after it.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    await new Promise((resolve) => {
      socket.once('pong', resolve)
      socket.ping()
    })
    expect(socket.readyState).toBe(WebSocket.OPEN)
    socket.close()
  })
})
