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
import { ProxyMediatorEventTypes, type ProxyMediatorStateChangedEvent } from '../../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { UpstreamPickupService } from '../UpstreamPickupService'

/** The upstream session's state machine, with Credo's real event bus and the pickup API stubbed. */
describe('UpstreamPickupService state', () => {
  const stop$ = new Subject<boolean>()
  let eventEmitter: EventEmitter
  let transitions: Array<[string, string]>
  let pickupMessages: jest.Mock
  let service: UpstreamPickupService
  const logger = { info: jest.fn(), warn: jest.fn(), debug: jest.fn(), error: jest.fn() }
  const agentContext = { config: { logger }, contextCorrelationId: 'test' } as unknown as AgentContext

  beforeEach(() => {
    eventEmitter = new EventEmitter(agentDependencies, stop$)
    transitions = []
    eventEmitter.on<ProxyMediatorStateChangedEvent>(ProxyMediatorEventTypes.StateChanged, ({ payload }) => {
      transitions.push([payload.previousState, payload.state])
    })
    pickupMessages = jest.fn().mockResolvedValue(undefined)
    service = new UpstreamPickupService(
      new ProxyMediatorModuleConfig({ pollingIntervalMs: 60_000, redeliveryCheckIntervalMs: 60_000 }),
      eventEmitter,
      { pickupMessages, setLiveDeliveryMode: jest.fn().mockResolvedValue(undefined) } as unknown as MessagePickupApi,
      {} as ConnectionService,
      {} as MessageSender,
    )
  })
  afterEach(() => service.stop())
  afterAll(() => stop$.next(true))

  it('is init before pickup starts, and emits each transition of polling as it happens', async () => {
    expect(service.state).toBe('init')
    await service.start(agentContext, 'mediator-connection', 'poll-v2')
    expect(service.state).toBe('ready')
    expect(transitions).toEqual([
      ['init', 'setup'],
      ['setup', 'ready'],
    ])

    pickupMessages.mockRejectedValueOnce(new Error('mediator down'))
    await (service as unknown as { poll(): Promise<void> }).poll()
    expect(service.state).toBe('setup')
    expect(service.lastError).toBe('mediator down')
    expect(transitions.at(-1)).toEqual(['ready', 'setup'])
  })

  it('follows the websocket: ready when it opens, setup when it closes', async () => {
    await service.start(agentContext, 'mediator-connection', 'live')
    expect(service.state).toBe('setup')
    const socketEvent = (type: TransportEventTypes, connectionId: string) =>
      eventEmitter.emit(agentContext, { type, payload: { connectionId, socketId: 's', transport: {} } } as never)

    socketEvent(TransportEventTypes.OutboundWebSocketOpenedEvent, 'another-connection')
    expect(service.state).toBe('setup')
    socketEvent(TransportEventTypes.OutboundWebSocketOpenedEvent, 'mediator-connection')
    expect(service.state).toBe('ready')
    socketEvent(TransportEventTypes.OutboundWebSocketClosedEvent, 'mediator-connection')
    expect(service.state).toBe('setup')
    expect(transitions).toEqual([
      ['init', 'setup'],
      ['setup', 'ready'],
      ['ready', 'setup'],
    ])
  })

  it('keeps pickup going when a state listener throws', async () => {
    eventEmitter.on(ProxyMediatorEventTypes.StateChanged, () => {
      throw new Error('a listener that throws')
    })
    await service.start(agentContext, 'mediator-connection', 'poll-v2')
    expect(service.state).toBe('ready')
    expect(pickupMessages).toHaveBeenCalledTimes(1)
  })
})
