import type { AgentContext, ConnectionService, MessagePickupApi, MessageSender } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../../ProxyMediatorModuleConfig'
import type { ActivePickupMode, UpstreamSocketState } from '../../../models/ProxyMediatorStatus'
import { type PickupTarget, UpstreamSession } from '../UpstreamSession'

/** One upstream session's readiness, with the channel's socket state and the pickup API stubbed. */
describe('UpstreamSession', () => {
  let pickupMessages: jest.Mock
  let sendMessage: jest.Mock
  let pull: jest.Mock
  let quiet: jest.Mock
  let onChange: jest.Mock
  let socket: UpstreamSocketState
  let session: UpstreamSession
  const logger = { info: jest.fn(), warn: jest.fn(), debug: jest.fn(), error: jest.fn() }
  const agentContext = { config: { logger }, contextCorrelationId: 'test' } as unknown as AgentContext

  const sessionFor = (mode: ActivePickupMode) =>
    new UpstreamSession(
      {
        config: new ProxyMediatorModuleConfig({
          pollingIntervalMs: 60_000,
          redeliveryCheckIntervalMs: 60_000,
          pickupPingIntervalMs: 60_000,
          reconnectBaseDelayMs: 60_000,
        }),
        messagePickupApi: {
          pickupMessages,
          setLiveDeliveryMode: jest.fn().mockResolvedValue(undefined),
        } as unknown as MessagePickupApi,
        connectionService: {
          getById: jest.fn().mockResolvedValue({ id: 'mediator-connection' }),
          createTrustPing: jest.fn().mockResolvedValue({ message: { type: 'trust ping' } }),
        } as unknown as ConnectionService,
        messageSender: { sendMessage } as unknown as MessageSender,
      },
      agentContext,
      mediatorWith(mode),
      onChange,
    )

  /** The session's mediator: its socket's state is `socket`; `pull` and `quiet` are recorded. */
  const mediatorWith = (pickupMode: ActivePickupMode): PickupTarget => ({
    id: 'mediator-connection',
    pickupMode,
    heldMessages: undefined,
    nextStatus: async () => undefined,
    socketState: () => socket,
    pull: (context) => pull(context, 'mediator-connection'),
    quiet: (context) => quiet(context, 'mediator-connection'),
    websocketEndpoints: ['wss://mediator.example.org/ws'],
    lastSocketError: 'connect ECONNREFUSED 10.1.2.3:443',
  })

  /** What the channel does when a socket to the mediator opens or closes. */
  const socketBecomes = (state: UpstreamSocketState) => {
    socket = state
    session.socketChanged()
  }

  beforeEach(() => {
    pickupMessages = jest.fn().mockResolvedValue(undefined)
    sendMessage = jest.fn().mockResolvedValue(undefined)
    pull = jest.fn().mockResolvedValue(true)
    quiet = jest.fn().mockResolvedValue(true)
    onChange = jest.fn()
    socket = 'none'
  })
  afterEach(() => session?.stop())

  it('is ready once a poll succeeded, and tells each change as it happens', async () => {
    session = sessionFor('poll-v2')
    expect(session.isReady).toBe(false)
    await session.start()
    expect(session.isReady).toBe(true)
    expect(onChange).toHaveBeenCalledTimes(1)

    pickupMessages.mockRejectedValueOnce(new Error('mediator down'))
    await (session as unknown as { poll(): Promise<void> }).poll()
    expect(session.isReady).toBe(false)
    expect(session.lastError).toBe('mediator down')
    expect(onChange).toHaveBeenCalledTimes(2)
  })

  it('follows its own websocket: ready when it opens; when it closes, not ready and says it reconnects, as it does', async () => {
    session = sessionFor('live')
    await session.start()
    expect(session.isReady).toBe(false)
    socketBecomes('connecting')
    expect(session.recovery).toBe('connecting')
    socketBecomes('open')
    expect(session.isReady).toBe(true)
    expect(session.socketState).toBe('open')
    socketBecomes('closed')
    expect(session.isReady).toBe(false)
    expect(session.socketState).toBe('closed')
    expect(session.recovery).toMatch(/^reconnecting in \d+ s \(attempt 1\)$/)
    expect(onChange).toHaveBeenCalledTimes(2)
  })

  it('counts a socket that opened before it started as open (ACA-Py lists its websocket, so Credo opens it during set-up)', async () => {
    socket = 'open'
    session = sessionFor('implicit')
    await session.start()
    expect(session.isReady).toBe(true)
    expect(session.recovery).not.toMatch(/reconnecting/)
    // The pickup session itself is still opened: a trust ping with return route on the websocket.
    expect(sendMessage).toHaveBeenCalledWith(expect.anything(), {
      transportPriority: { schemes: ['wss', 'ws'], restrictive: true },
    })
  })

  it('with implicit pickup, asks for the next message after each one it takes, only while the socket is open', async () => {
    socket = 'open'
    session = sessionFor('implicit')
    await session.start()
    session.streamed()
    await new Promise(setImmediate)
    expect(pull).toHaveBeenCalledTimes(1)
    expect(pull).toHaveBeenCalledWith(agentContext, 'mediator-connection')

    socketBecomes('closed')
    session.streamed()
    await new Promise(setImmediate)
    expect(pull).toHaveBeenCalledTimes(1)
  })

  it('in live mode too, answers a message the mediator wrote on its own (ACA-Py with the pickup plugin has no live mode)', async () => {
    socket = 'open'
    session = sessionFor('live')
    await session.start()
    session.streamed()
    await new Promise(setImmediate)
    expect(pull).toHaveBeenCalledWith(agentContext, 'mediator-connection')
  })

  it('pauses implicit pickup while the store takes no writes: not ready, no pulls, no reconnect; then resumes', async () => {
    socket = 'open'
    session = sessionFor('implicit')
    await session.start()
    session.pause()
    expect(session.isReady).toBe(false)
    expect(quiet).toHaveBeenCalledWith(agentContext, 'mediator-connection')
    expect(session.recovery).toMatch(/^paused while the store takes no writes/)
    session.streamed()
    socketBecomes('closed')
    await new Promise(setImmediate)
    expect(pull).not.toHaveBeenCalled()
    expect(session.recovery).toMatch(/^paused/)

    socketBecomes('open')
    session.resume()
    await new Promise(setImmediate)
    expect(session.isReady).toBe(true)
    expect(pull).toHaveBeenCalledTimes(1)
  })

  it('pauses pickup 1.0 polling too, whose messages the mediator deletes as it hands them out', async () => {
    session = sessionFor('poll-v1')
    await session.start()
    expect(pickupMessages).toHaveBeenCalledTimes(1)
    session.pause()
    expect(session.isReady).toBe(false)
    await (session as unknown as { poll(): Promise<void> }).poll()
    expect(pickupMessages).toHaveBeenCalledTimes(1)
    session.resume()
    await new Promise(setImmediate)
    expect(pickupMessages).toHaveBeenCalledTimes(2)
    expect(session.isReady).toBe(true)
  })

  it('does not pause live pickup, which needs no store to take messages', async () => {
    socket = 'open'
    session = sessionFor('live')
    await session.start()
    session.pause()
    expect(session.isReady).toBe(true)
    expect(quiet).not.toHaveBeenCalled()
  })

  it("says why it cannot open the pickup session in words: what was tried, where, and what to check, not Credo's 'undeliverable'", async () => {
    sendMessage.mockRejectedValueOnce(new Error('Message is undeliverable to connection 5f0c (ACA-Py)'))
    session = sessionFor('implicit')
    await session.start()
    expect(session.lastError).toBe(
      "could not reach the external mediator's websocket wss://mediator.example.org/ws (connect ECONNREFUSED 10.1.2.3:443): check that it runs and that this network reaches it (a firewall, an egress proxy)",
    )
    expect(session.recovery).toMatch(/^reconnecting in \d+ s \(attempt 1\)$/)
  })

  it('does nothing about a socket that closes once stopped', async () => {
    jest.useFakeTimers()
    try {
      socket = 'open'
      session = sessionFor('implicit')
      await session.start()
      session.stop()
      socketBecomes('closed')
      // Past any reconnect delay: no session is opened again.
      await jest.advanceTimersByTimeAsync(10 * 60_000)
      expect(sendMessage).toHaveBeenCalledTimes(1)
      expect(session.reconnects).toBe(0)
      expect(session.recovery).toBe('pickup is stopped')
    } finally {
      jest.useRealTimers()
    }
  })

  it('keeps pickup going when whoever listens to its changes throws', async () => {
    onChange.mockImplementation(() => {
      throw new Error('a listener that throws')
    })
    session = sessionFor('poll-v2')
    await session.start()
    expect(session.isReady).toBe(true)
    expect(pickupMessages).toHaveBeenCalledTimes(1)
  })
})
