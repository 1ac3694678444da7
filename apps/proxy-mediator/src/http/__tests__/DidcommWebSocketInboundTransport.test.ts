import type { Server } from 'node:http'
import type { Agent, EncryptedMessage } from '@credo-ts/core'
import { StorageUnavailableError } from '@proxy-mediator/proxy-mediator'
import type { ForwardAcceptance } from '@proxy-mediator/proxy-mediator'
import express from 'express'
import WebSocket, { WebSocketServer } from 'ws'
import { RunnerLogger } from '../../logging/RunnerLogger'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { refusalRecorder } from '../../web/RefusalRecorder'
import { DidcommWebSocketInboundTransport } from '../DidcommWebSocketInboundTransport'
import { attachWebSocketUpgrade } from '../attachWebSocketUpgrade'
import { serveOnLoopback } from './support/serveOnLoopback'

const header = (kids: string[]) =>
  Buffer.from(JSON.stringify({ alg: 'Anoncrypt', recipients: kids.map((kid) => ({ header: { kid } })) })).toString(
    'base64url',
  )
const envelopeFor = (...kids: string[]) =>
  JSON.stringify({ protected: header(kids), iv: 'i', ciphertext: 'c', tag: 't' })

describe('the DIDComm websocket endpoint', () => {
  let server: Server
  let url: string
  let logLines: string[]
  let counted: string[]
  let received: EncryptedMessage[]
  let lookups: number
  let forwardAnswer: ForwardAcceptance
  let storageFull: boolean
  let transport: DidcommWebSocketInboundTransport

  beforeEach(async () => {
    logLines = []
    counted = []
    received = []
    lookups = 0
    forwardAnswer = { kind: 'not-a-forward' }
    storageFull = false
    const logger = new RunnerLogger({ level: 'info', format: 'json', write: (line) => logLines.push(line) })
    const control = {
      isAddressedToProxy: async (envelope: EncryptedMessage) => {
        lookups++
        return envelope.protected === header(['proxy-kid'])
      },
      acceptForward: async () => {
        if (storageFull) throw new StorageUnavailableError('The proxy cannot keep the forward: storage full', 2)
        return forwardAnswer
      },
    } as unknown as ProxyMediatorControl
    const webSocketServer = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 })
    const recordRefusal = refusalRecorder(logger, (reason) => counted.push(reason))
    transport = new DidcommWebSocketInboundTransport({
      webSocketServer,
      control: () => control,
      recordRefusal,
      logger,
      limits: { maxMessageBytes: 8 * 1024 * 1024, maxRecipients: 16, maxProtectedHeaderBytes: 16_384 },
    })
    // Just what the transport asks of the agent: the session registry, and the message handed on.
    const agent = {
      dependencyManager: { resolve: () => ({ removeSession: () => undefined }) },
      receiveMessage: async (message: EncryptedMessage) => {
        received.push(message)
      },
    } as unknown as Agent
    await transport.start(agent)
    ;({ server, baseUrl: url } = await serveOnLoopback(express()))
    url = url.replace('http', 'ws')
    attachWebSocketUpgrade(server, webSocketServer, {
      isDraining: () => false,
      maxSockets: 100,
      maxSocketsPerAddress: 100,
      idleTimeoutMs: 60_000,
      recordRefusal,
    })
  })

  afterEach(async () => {
    await transport.stop()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  /** Sends the frames on a fresh socket; resolves with the close code and reason the server sent. */
  const closeAfter = (...frames: string[]) =>
    new Promise<{ code: number; reason: string }>((resolve, reject) => {
      const socket = new WebSocket(url)
      socket.once('open', () => {
        for (const frame of frames) socket.send(frame)
      })
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
      socket.once('error', reject)
    })

  /** Sends the frame on an open socket, then waits for a pong: the server read the frame before it. */
  const sendOnOpenSocket = async (frame: string) => {
    const socket = new WebSocket(url)
    await new Promise((resolve) => socket.once('open', resolve))
    socket.send(frame)
    await new Promise((resolve) => {
      socket.once('pong', resolve)
      socket.ping()
    })
    return socket
  }

  it('refuses a frame listing 40,000 recipients with a close and its reason, before any look-up', async () => {
    const flood = envelopeFor(...Array.from({ length: 40_000 }, (_, index) => `stranger-${index}`))
    expect(flood.length).toBeGreaterThan(1_000_000)
    expect(await closeAfter(flood)).toEqual({ code: 1008, reason: 'header_too_large' })
    expect([lookups, received.length]).toEqual([0, 0])
  })

  it.each([
    [
      'plaintext',
      JSON.stringify({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': '1' }),
      'plaintext_not_accepted',
    ],
    ['garbage', 'not json', 'invalid_json'],
    ['an envelope for no key of the proxy', envelopeFor('stranger'), 'unknown_recipient'],
    ['17 recipients', envelopeFor(...Array.from({ length: 17 }, (_, index) => `kid-${index}`)), 'too_many_recipients'],
  ])('closes the socket on %s with the reason', async (_name, frame, reason) => {
    expect(await closeAfter(frame)).toEqual({ code: 1008, reason })
  })

  it('closes the socket on a forward the module refused, and keeps it open for one it took', async () => {
    forwardAnswer = { kind: 'refused', code: 'unknown_recipient', reason: 'no agent registered key X' }
    expect(await closeAfter(envelopeFor('proxy-kid'))).toEqual({ code: 1008, reason: 'unknown_recipient' })

    forwardAnswer = { kind: 'accepted' }
    const socket = await sendOnOpenSocket(envelopeFor('proxy-kid'))
    expect(socket.readyState).toBe(WebSocket.OPEN)
    expect(received).toEqual([])
    socket.close()
  })

  it('closes with 1013 (try again later) a forward it cannot keep while its store takes no writes, logging no error', async () => {
    storageFull = true
    expect(await closeAfter(envelopeFor('proxy-kid'))).toEqual({ code: 1013, reason: 'storage_unavailable' })
    expect(counted).toEqual(['storage_unavailable'])
    expect(logLines.filter((line) => line.includes('"level":"error"'))).toEqual([])
  })

  it('hands an envelope for the proxy that is no forward to the agent', async () => {
    const socket = await sendOnOpenSocket(envelopeFor('proxy-kid'))
    // The frame is handled asynchronously; the pong only says it was read.
    for (let waited = 0; received.length === 0 && waited < 5_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(received).toEqual([JSON.parse(envelopeFor('proxy-kid'))])
    socket.close()
  })

  it('logs 200 refused plaintext frames as one line, with no stack, and counts every one', async () => {
    const plaintext = JSON.stringify({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': '1' })
    const closes = await Promise.all(Array.from({ length: 200 }, () => closeAfter(plaintext)))
    expect(new Set(closes.map(({ reason }) => reason))).toEqual(new Set(['plaintext_not_accepted']))
    expect(logLines).toHaveLength(1)
    expect(logLines[0]).toContain('plaintext_not_accepted')
    expect(logLines[0]).not.toMatch(/\n\s+at |"stack"/)
    expect(counted).toEqual(Array.from({ length: 200 }, () => 'plaintext_not_accepted'))
  })
})
