import {
  type AgentContext,
  type ConnectionService,
  EventEmitter,
  type MessageReceiver,
  MessagePickupModuleConfig,
  type MessageSender,
  type V2MessagesReceivedMessage,
} from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import type { ProxyMediatorStateService } from '../ProxyMediatorStateService'
import { RelayPipeline } from '../RelayPipeline'
import { UpstreamChannel } from '../UpstreamChannel'

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
      { proxyRoutingKey: jest.fn().mockResolvedValue(ROUTING_KEY) } as unknown as ProxyMediatorStateService,
      { submit, agentKeyOf: (kids: string[]) => kids.find((kid) => kid === AGENT_KEY) } as unknown as RelayPipeline,
    )
    await channel.open(agentContext, connection.id)
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
    expect(channel.lastPickupAt(connection.id)).toBeInstanceOf(Date)
  })

  it('batches acknowledgements into one messages-received written on the mediator socket', async () => {
    unpack.mockResolvedValueOnce(
      delivery(['m1', 'm2', 'm3'].map((id) => ({ '@id': id, data: { json: forwardForProxy } }))),
    )
    await channel.receiveFrame(frameFor(OURS), socket)
    for (const [, , source] of submit.mock.calls) source.acknowledge()
    await channel.close(connection.id)
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
    await channel.close(connection.id)
    expect(socket.send).not.toHaveBeenCalled()
    const outbound = sendMessage.mock.calls[0][0] as { message: V2MessagesReceivedMessage }
    expect(outbound.message.messageIdList).toEqual(['m1'])
  })

  it('acknowledges at once, and hands to Credo, an attachment that is not a forward for the proxy', async () => {
    unpack.mockResolvedValueOnce(delivery([{ '@id': 'm1', data: { json: forOtherKey } }]))
    await channel.receiveFrame(frameFor(OURS), socket)
    expect(submit).not.toHaveBeenCalled()
    expect(emit).toHaveBeenCalledTimes(1)
    await channel.close(connection.id)
    expect(pack.mock.calls[0][0].message_id_list).toEqual(['m1'])
  })

  it('answers a status on the socket with a delivery-request for what is held, and tells who counts it', async () => {
    const status = { '@type': 'https://didcomm.org/messagepickup/2.0/status', message_count: 250 }
    unpack.mockResolvedValueOnce({ plaintextMessage: status, senderKey: THEIRS })
    expect(await channel.receiveFrame(frameFor(OURS), socket)).toBe(true)
    expect(receiveMessage).not.toHaveBeenCalled()
    expect(emit).toHaveBeenCalledWith(expect.anything(), {
      type: 'ProxyMediatorUpstreamStatusReceived',
      payload: { connectionId: connection.id, messageCount: 250 },
    })
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
    expect(submit.mock.calls[0][1]).toEqual({ unopened: forAgent })
    expect(submit.mock.calls[0][2]).toMatchObject({ kind: 'pickup', messageId: 'm1' })
    expect(await channel.receiveFrame(JSON.stringify(forAgent), socket)).toBe(true)
    expect(submit.mock.calls[1][1]).toEqual({ unopened: forAgent })
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

  const watcherStub = () => ({ socketChanged: jest.fn(), streamed: jest.fn() })

  it("reads a mediator's socket state off its sockets, a socket opened before anyone watched included", async () => {
    const early = trackedSocket(`${MEDIATOR_WEBSOCKET}/`, 1)
    channel.trackSocket(early)
    expect(channel.socketState(connection.id)).toBe('open')

    const watcher = watcherStub()
    channel.watch(connection.id, watcher)
    early.fire('close')
    expect(channel.socketState(connection.id)).toBe('closed')
    expect(watcher.socketChanged).toHaveBeenCalledTimes(1)

    const next = trackedSocket(MEDIATOR_WEBSOCKET)
    channel.trackSocket(next)
    expect(channel.socketState(connection.id)).toBe('connecting')
    next.fire('open')
    expect(channel.socketState(connection.id)).toBe('open')
    expect(watcher.socketChanged).toHaveBeenCalledTimes(3)

    // A socket to another endpoint is not this mediator's.
    channel.trackSocket(trackedSocket('ws://elsewhere.test:1', 1))
    expect(watcher.socketChanged).toHaveBeenCalledTimes(3)
  })

  it("tells the mediator's watcher of a message it wrote only once the message is taken, and writes the pull on its socket", async () => {
    const mediatorSocket = trackedSocket(MEDIATOR_WEBSOCKET, 1)
    channel.trackSocket(mediatorSocket)
    const watcher = watcherStub()
    channel.watch(connection.id, watcher)

    submit.mockRejectedValueOnce(new Error('SQLITE_FULL'))
    await expect(channel.receiveFrame(JSON.stringify(forwardForProxy), mediatorSocket)).rejects.toThrow('SQLITE_FULL')
    expect(watcher.streamed).not.toHaveBeenCalled()

    await channel.receiveFrame(JSON.stringify(forwardForProxy), mediatorSocket)
    expect(watcher.streamed).toHaveBeenCalledTimes(1)
    expect(channel.lastPickupAt(connection.id)).toBeInstanceOf(Date)

    expect(await channel.pull({ wallet: { pack } } as unknown as AgentContext, connection.id)).toBe(true)
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
    expect(await channel.quiet({ wallet: { pack } } as unknown as AgentContext, connection.id)).toBe(true)
    const [ping] = pack.mock.calls[0]
    expect(ping['~transport']).toEqual({ return_route: 'none' })
    expect(mediatorSocket.send).toHaveBeenCalledTimes(1)

    channel.closeSockets(connection.id, 'full')
    expect(mediatorSocket.close).toHaveBeenCalledWith(1001, 'full')
    expect(elsewhere.close).not.toHaveBeenCalled()
  })

  it("remembers why the last socket to a mediator failed, until one opens, with the mediator's websocket endpoints", () => {
    const failed = trackedSocket(MEDIATOR_WEBSOCKET)
    channel.trackSocket(failed)
    failed.fire('error', { message: 'connect ECONNREFUSED 10.1.2.3:3001' })
    expect(channel.websocketOf(connection.id)).toEqual({
      endpoints: [`${MEDIATOR_WEBSOCKET}/`],
      lastSocketError: 'connect ECONNREFUSED 10.1.2.3:3001',
    })
    const next = trackedSocket(MEDIATOR_WEBSOCKET)
    channel.trackSocket(next)
    next.fire('open')
    expect(channel.websocketOf(connection.id).lastSocketError).toBeUndefined()
  })

  it('pulls nothing while no socket to the mediator is open', async () => {
    expect(await channel.pull({ wallet: { pack } } as unknown as AgentContext, connection.id)).toBe(false)
    expect(pack).not.toHaveBeenCalled()
  })
})
