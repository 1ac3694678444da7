import {
  type AgentContext,
  type ConnectionService,
  EventEmitter,
  type MessagePickupApi,
  type MessageSender,
  TransportEventTypes,
} from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'
import { Subject } from 'rxjs'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import type { ActivePickupMode } from '../../models/ProxyMediatorStatus'
import { UpstreamSession } from '../UpstreamSession'

/** One upstream session's readiness, with Credo's real event bus and the pickup API stubbed. */
describe('UpstreamSession', () => {
  const stop$ = new Subject<boolean>()
  let eventEmitter: EventEmitter
  let pickupMessages: jest.Mock
  let onChange: jest.Mock
  let session: UpstreamSession
  const logger = { info: jest.fn(), warn: jest.fn(), debug: jest.fn(), error: jest.fn() }
  const agentContext = { config: { logger }, contextCorrelationId: 'test' } as unknown as AgentContext

  const sessionFor = (mode: ActivePickupMode) =>
    new UpstreamSession(
      {
        config: new ProxyMediatorModuleConfig({ pollingIntervalMs: 60_000, redeliveryCheckIntervalMs: 60_000 }),
        eventEmitter,
        messagePickupApi: {
          pickupMessages,
          setLiveDeliveryMode: jest.fn().mockResolvedValue(undefined),
        } as unknown as MessagePickupApi,
        connectionService: {} as ConnectionService,
        messageSender: {} as MessageSender,
      },
      agentContext,
      'mediator-connection',
      mode,
      onChange,
    )

  beforeEach(() => {
    eventEmitter = new EventEmitter(agentDependencies, stop$)
    pickupMessages = jest.fn().mockResolvedValue(undefined)
    onChange = jest.fn()
  })
  afterEach(() => session?.stop())
  afterAll(() => stop$.next(true))

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

  it('follows its own websocket: ready when it opens, not when it closes', async () => {
    session = sessionFor('live')
    await session.start()
    expect(session.isReady).toBe(false)
    const socketEvent = (type: TransportEventTypes, connectionId: string) =>
      eventEmitter.emit(agentContext, { type, payload: { connectionId, socketId: 's', transport: {} } } as never)

    socketEvent(TransportEventTypes.OutboundWebSocketOpenedEvent, 'another-connection')
    expect(session.isReady).toBe(false)
    socketEvent(TransportEventTypes.OutboundWebSocketOpenedEvent, 'mediator-connection')
    expect(session.isReady).toBe(true)
    expect(session.socketState).toBe('open')
    socketEvent(TransportEventTypes.OutboundWebSocketClosedEvent, 'mediator-connection')
    expect(session.isReady).toBe(false)
    expect(session.socketState).toBe('closed')
    expect(onChange).toHaveBeenCalledTimes(2)
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
