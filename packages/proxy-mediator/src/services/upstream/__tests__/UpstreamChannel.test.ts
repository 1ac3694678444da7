import {
  type AgentContext,
  type ConnectionService,
  EventEmitter,
  MessagePickupModuleConfig,
  type MessageReceiver,
  type MessageSender,
  type V2MessagesReceivedMessage,
} from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../../ProxyMediatorModuleConfig'
import type { ProxyMediatorStateService } from '../../../ProxyMediatorStateService'
import { RelayPipeline } from '../../relay/RelayPipeline'
import { UpstreamChannel } from '../UpstreamChannel'
import { UpstreamMediator } from '../UpstreamMediator'
import { UpstreamMediatorSet } from '../UpstreamMediatorSet'
import type { UpstreamSession } from '../UpstreamSession'

const OURS = 'our-key-on-the-mediator-connection'
const THEIRS = 'the-mediators-key'
const ROUTING_KEY = 'proxy-routing-key'
const AGENT_KEY = 'a-key-an-agent-registered'
const MEDIATOR_WEBSOCKET = 'ws://mediator.test:3001'
const forwardForProxy = { protected: header([ROUTING_KEY]), iv: 'i', ciphertext: 'c', tag: 't' }
const forOtherKey = { protected: header(['someone-else']), iv: 'i', ciphertext: 'c', tag: 't' }

function header(kids: string[]): string {
  return Buffer.from(JSON.stringify({ recipients: kids.map((kid) => ({ header: { kid } })) })).toString('base64url')
}
const frameFor = (kid: string) => JSON.stringify({ protected: header([kid]), iv: 'i', ciphertext: 'c', tag: 't' })

/** Frames in and acknowledgements out, with the wallet, Credo's receiver and sender, and the relay stubbed. */
describe('UpstreamChannel', () => {
  let unpack: jest.Mock
  let pack: jest.Mock
  let submit: jest.Mock
  let receiveMessage: jest.Mock
  let sendMessage: jest.Mock
  let emit: jest.Mock
  let logError: jest.Mock
  let channel: UpstreamChannel
  let mediator: UpstreamMediator
  /** The mediator's pickup session, as the channel tells it of sockets and streamed messages. */
  let session: { socketChanged: jest.Mock; streamed: jest.Mock }
  let socket: { readyState: number; send: jest.Mock }
  const connection = { id: 'mediator-connection', did: 'did:peer:ours', theirDid: 'did:peer:theirs' }

  beforeEach(async () => {
    unpack = jest.fn()
    pack = jest.fn(async (message: unknown) => ({ packed: message }))
    submit = jest.fn().mockResolvedValue({ kind: 'accepted' })
    receiveMessage = jest.fn().mockResolvedValue(undefined)
    sendMessage = jest.fn().mockResolvedValue(undefined)
    emit = jest.fn()
    logError = jest.fn()
    socket = { readyState: 1, send: jest.fn() }
    const mediators = new UpstreamMediatorSet()
    const resolveDidDocument = jest.fn(async (did: string) => ({
      recipientKeys: [{ publicKeyBase58: did === connection.did ? OURS : THEIRS }],
      didCommServices:
        did === connection.did
          ? []
          : [{ serviceEndpoint: 'http://mediator.test:3000' }, { serviceEndpoint: MEDIATOR_WEBSOCKET }],
    }))
    const agentContext = {
      config: { logger: { warn: jest.fn(), debug: jest.fn(), error: logError } },
      contextCorrelationId: 'test',
      wallet: { unpack, pack },
      dependencyManager: {
        resolve: (token: unknown) =>
          token === EventEmitter
            ? { emit }
            : token === MessagePickupModuleConfig
              ? { maximumBatchSize: 100 }
              : token === ProxyMediatorModuleConfig
                ? new ProxyMediatorModuleConfig()
                : token === RelayPipeline
                  ? { relaysInFlightFrom: () => 0 }
                  : { resolveDidDocument },
      },
    } as unknown as AgentContext
    channel = new UpstreamChannel(
      { getById: jest.fn().mockResolvedValue(connection) } as unknown as ConnectionService,
      { sendMessage } as unknown as MessageSender,
      { receiveMessage } as unknown as MessageReceiver,
      { emit } as unknown as EventEmitter,
      {
        proxyRoutingKey: jest.fn().mockResolvedValue(ROUTING_KEY),
        knownRoutingKey: ROUTING_KEY,
      } as unknown as ProxyMediatorStateService,
      { submit, agentKeyOf: (kids: string[]) => kids.find((kid) => kid === AGENT_KEY) } as unknown as RelayPipeline,
      mediators,
    )
    session = { socketChanged: jest.fn(), streamed: jest.fn() }
    mediator = new UpstreamMediator(
      {
        connectionId: connection.id,
        mediationRecordId: 'mediation',
        pickupMode: 'live',
        role: 'primary',
        addedAt: '2026-12-06T00:00:00.000Z',
      },
      { routingKeys: [] },
      {
        open: (opened) => channel.open(agentContext, opened),
        acknowledge: (acknowledged, ids) =>
          channel.sendAcknowledgement(agentContext, acknowledged, acknowledged.id, ids),
        updateKeylist: jest.fn(),
        relaysInFlight: () => 0,
        socketState: (watched) => channel.socketState(watched),
        pull: (context, pulled) => channel.pull(context, pulled),
        quiet: (context, quieted) => channel.quiet(context, quieted),
      },
      () => session as unknown as UpstreamSession,
    )
    mediators.add(mediator)
    await channel.open(agentContext, mediator)
  })

  const delivery = (attachments: unknown[]) => ({
    plaintextMessage: { '@type': 'https://didcomm.org/messagepickup/2.0/delivery', '~attach': attachments },
    senderKey: THEIRS,
  })

  it('decrypts a delivery once and submits each forward, json or base64, to be acknowledged when settled', async () => {
    unpack.mockResolvedValueOnce(
      delivery([
        { '@id': 'm1', data: { json: forwardForProxy } },
        { '@id': 'm2', data: { base64: Buffer.from(JSON.stringify(forwardForProxy)).toString('base64') } },
      ]),
    )
    expect(await channel.receiveFrame(frameFor(OURS), socket)).toBe(true)
    expect(unpack).toHaveBeenCalledTimes(1)
    expect(submit).toHaveBeenCalledTimes(2)
    const [, layer, source] = submit.mock.calls[1]
    expect(layer).toEqual({ encrypted: forwardForProxy })
    expect(source).toMatchObject({ kind: 'pickup', channelId: connection.id, messageId: 'm2' })
    expect(socket.send).not.toHaveBeenCalled()
    expect(mediator.lastPickupAt).toBeInstanceOf(Date)
  })

  it('batches acknowledgements into one messages-received written on the mediator socket', async () => {
    unpack.mockResolvedValueOnce(
      delivery(['m1', 'm2', 'm3'].map((id) => ({ '@id': id, data: { json: forwardForProxy } }))),
    )
    await channel.receiveFrame(frameFor(OURS), socket)
    for (const [, , source] of submit.mock.calls) source.acknowledge()
    await mediator.acknowledgements.flush()
    expect(socket.send).toHaveBeenCalledTimes(1)
    const [message, recipients, sender] = pack.mock.calls[0]
    expect(message['@type']).toBe('https://didcomm.org/messagepickup/2.0/messages-received')
    expect(message.message_id_list).toEqual(['m1', 'm2', 'm3'])
    expect(message['~transport']).toEqual({ return_route: 'all' })
    expect([recipients, sender]).toEqual([[THEIRS], OURS])
  })

  it("sends the acknowledgement with Credo's message sender when the socket is gone", async () => {
    unpack.mockResolvedValueOnce(delivery([{ '@id': 'm1', data: { json: forwardForProxy } }]))
    await channel.receiveFrame(frameFor(OURS), socket)
    socket.readyState = 3
    submit.mock.calls[0][2].acknowledge()
    await mediator.acknowledgements.flush()
    expect(socket.send).not.toHaveBeenCalled()
    const outbound = sendMessage.mock.calls[0][0] as { message: V2MessagesReceivedMessage }
    expect(outbound.message.messageIdList).toEqual(['m1'])
  })

  it('acknowledges at once, and hands to Credo, an attachment that is not a forward for the proxy', async () => {
    unpack.mockResolvedValueOnce(delivery([{ '@id': 'm1', data: { json: forOtherKey } }]))
    await channel.receiveFrame(frameFor(OURS), socket)
    expect(submit).not.toHaveBeenCalled()
    expect(emit).toHaveBeenCalledTimes(1)
    await mediator.acknowledgements.flush()
    expect(pack.mock.calls[0][0].message_id_list).toEqual(['m1'])
  })

  it('answers a status on the socket with a delivery-request for what is held, and tells its mediator', async () => {
    const status = { '@type': 'https://didcomm.org/messagepickup/2.0/status', message_count: 250 }
    unpack.mockResolvedValueOnce({ plaintextMessage: status, senderKey: THEIRS })
    expect(await channel.receiveFrame(frameFor(OURS), socket)).toBe(true)
    expect(receiveMessage).not.toHaveBeenCalled()
    expect(mediator.heldMessages).toBe(250)
    const [request] = pack.mock.calls[0]
    expect(request['@type']).toBe('https://didcomm.org/messagepickup/2.0/delivery-request')
    expect(request.limit).toBe(100)
    expect(socket.send).toHaveBeenCalledTimes(1)
  })

  it('hands any other message of the mediator to Credo already decrypted, with its connection', async () => {
    const report = { '@type': 'https://didcomm.org/notification/1.0/problem-report', description: { code: 'x' } }
    unpack.mockResolvedValueOnce({ plaintextMessage: report, senderKey: THEIRS })
    expect(await channel.receiveFrame(frameFor(OURS), socket)).toBe(true)
    expect(unpack).toHaveBeenCalledTimes(1)
    expect(receiveMessage).toHaveBeenCalledWith(report, { connection })
  })

  it("keeps a mediator's message it decrypted when Credo fails to handle it: logged, never handed back to be decrypted again", async () => {
    const ping = { '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': 'p1' }
    unpack.mockResolvedValueOnce({ plaintextMessage: ping, senderKey: THEIRS })
    receiveMessage.mockRejectedValueOnce(new Error('handler failed'))
    expect(await channel.receiveFrame(frameFor(OURS), socket)).toBe(true)
    expect(receiveMessage).toHaveBeenCalledTimes(1)
    expect(logError).toHaveBeenCalledWith(
      "Could not handle a 'https://didcomm.org/trust_ping/1.0/ping' from the mediator",
      expect.objectContaining({ error: expect.objectContaining({ message: 'handler failed' }) }),
    )
  })

  it('submits a forward the mediator writes for the routing key (implicit pickup) without acknowledgement', async () => {
    expect(await channel.receiveFrame(JSON.stringify(forwardForProxy), socket)).toBe(true)
    expect(unpack).not.toHaveBeenCalled()
    expect(submit.mock.calls[0][1]).toEqual({ encrypted: forwardForProxy })
    expect(submit.mock.calls[0][2]).toEqual({ kind: 'stream' })
  })

  it("relays an agent's own envelope unopened (transparent mode), picked up or written by the mediator", async () => {
    const forAgent = { protected: header([AGENT_KEY]), iv: 'i', ciphertext: 'c', tag: 't' }
    unpack.mockResolvedValueOnce(delivery([{ '@id': 'm1', data: { json: forAgent } }]))
    await channel.receiveFrame(frameFor(OURS), socket)
    expect(submit.mock.calls[0][1]).toEqual({ unopened: forAgent, recipientKey: AGENT_KEY })
    expect(submit.mock.calls[0][2]).toMatchObject({ kind: 'pickup', messageId: 'm1' })
    expect(await channel.receiveFrame(JSON.stringify(forAgent), socket)).toBe(true)
    expect(submit.mock.calls[1][1]).toEqual({ unopened: forAgent, recipientKey: AGENT_KEY })
    expect(submit.mock.calls[1][2]).toEqual({ kind: 'stream' })
    expect(unpack).toHaveBeenCalledTimes(1)
  })

  it('leaves to Credo what is not for the proxy, or not JSON', async () => {
    expect(await channel.receiveFrame(frameFor('someone-else'), socket)).toBe(false)
    expect(await channel.receiveFrame('not json', socket)).toBe(false)
    unpack.mockResolvedValueOnce({ plaintextMessage: { '@type': 'x' }, senderKey: 'not-the-mediator' })
    expect(await channel.receiveFrame(frameFor(OURS), socket)).toBe(false)
    expect(submit).not.toHaveBeenCalled()
  })

  /** A websocket as the wrapped socket class makes it: an EventTarget with a URL and a state. */
  function trackedSocket(url: string, readyState = 0) {
    const listeners: Record<string, Array<(event?: unknown) => void>> = {}
    const tracked = {
      url,
      readyState,
      send: jest.fn(),
      close: jest.fn(),
      // biome-ignore lint/suspicious/noExplicitAny: a stub of the socket's overloaded addEventListener
      addEventListener: (type: string, listener: (event?: any) => void) => {
        listeners[type] = [...(listeners[type] ?? []), listener]
      },
      fire(type: 'open' | 'close' | 'error', event?: unknown) {
        if (type !== 'error') tracked.readyState = type === 'open' ? 1 : 3
        for (const listener of listeners[type] ?? []) listener(event)
      },
    }
    return tracked
  }

  it("reads a mediator's socket state off its sockets, and tells its session of each change", async () => {
    const early = trackedSocket(`${MEDIATOR_WEBSOCKET}/`, 1)
    channel.trackSocket(early)
    expect(channel.socketState(mediator)).toBe('open')
    expect(session.socketChanged).toHaveBeenCalledTimes(1)

    early.fire('close')
    expect(channel.socketState(mediator)).toBe('closed')
    expect(session.socketChanged).toHaveBeenCalledTimes(2)

    const next = trackedSocket(MEDIATOR_WEBSOCKET)
    channel.trackSocket(next)
    expect(channel.socketState(mediator)).toBe('connecting')
    next.fire('open')
    expect(channel.socketState(mediator)).toBe('open')
    expect(session.socketChanged).toHaveBeenCalledTimes(4)

    // A socket to another endpoint is not this mediator's.
    channel.trackSocket(trackedSocket('ws://elsewhere.test:1', 1))
    expect(session.socketChanged).toHaveBeenCalledTimes(4)
  })

  it("tells the mediator's session of a message it wrote only once the message is taken, and writes the pull on its socket", async () => {
    const mediatorSocket = trackedSocket(MEDIATOR_WEBSOCKET, 1)
    channel.trackSocket(mediatorSocket)

    submit.mockRejectedValueOnce(new Error('SQLITE_FULL'))
    await expect(channel.receiveFrame(JSON.stringify(forwardForProxy), mediatorSocket)).rejects.toThrow('SQLITE_FULL')
    expect(session.streamed).not.toHaveBeenCalled()

    await channel.receiveFrame(JSON.stringify(forwardForProxy), mediatorSocket)
    expect(session.streamed).toHaveBeenCalledTimes(1)
    expect(mediator.lastPickupAt).toBeInstanceOf(Date)

    expect(await channel.pull({ wallet: { pack } } as unknown as AgentContext, mediator)).toBe(true)
    const [ping] = pack.mock.calls[0]
    expect(ping['@type']).toBe('https://didcomm.org/trust_ping/1.0/ping')
    expect(ping.response_requested).toBe(false)
    expect(ping['~transport']).toEqual({ return_route: 'all' })
    expect(mediatorSocket.send).toHaveBeenCalledTimes(1)
  })

  it("quiets the mediator with a message that asks for no return route, and closes only that mediator's sockets", async () => {
    const mediatorSocket = trackedSocket(MEDIATOR_WEBSOCKET, 1)
    const elsewhere = trackedSocket('ws://elsewhere.test:1', 1)
    channel.trackSocket(mediatorSocket)
    channel.trackSocket(elsewhere)
    expect(await channel.quiet({ wallet: { pack } } as unknown as AgentContext, mediator)).toBe(true)
    const [ping] = pack.mock.calls[0]
    expect(ping['~transport']).toEqual({ return_route: 'none' })
    expect(mediatorSocket.send).toHaveBeenCalledTimes(1)

    channel.closeSockets(mediator, 'full')
    expect(mediatorSocket.close).toHaveBeenCalledWith(1001, 'full')
    expect(elsewhere.close).not.toHaveBeenCalled()
  })

  it("remembers why the last socket to a mediator failed, until one opens, with the mediator's websocket endpoints", () => {
    const failed = trackedSocket(MEDIATOR_WEBSOCKET)
    channel.trackSocket(failed)
    failed.fire('error', { message: 'connect ECONNREFUSED 10.1.2.3:3001' })
    expect([...(mediator.keys?.websocketEndpoints ?? [])]).toEqual([`${MEDIATOR_WEBSOCKET}/`])
    expect(mediator.lastSocketError).toBe('connect ECONNREFUSED 10.1.2.3:3001')
    const next = trackedSocket(MEDIATOR_WEBSOCKET)
    channel.trackSocket(next)
    next.fire('open')
    expect(mediator.lastSocketError).toBeUndefined()
  })

  it('pulls nothing while no socket to the mediator is open', async () => {
    expect(await channel.pull({ wallet: { pack } } as unknown as AgentContext, mediator)).toBe(false)
    expect(pack).not.toHaveBeenCalled()
  })
})
