import { type AgentContext, EventEmitter } from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'
import { Subject } from 'rxjs'
import { ProxyHealth } from '../ProxyHealth'
import { ProxyMediatorEventTypes, type ProxyMediatorStateChangedEvent } from '../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import type { ProxyMediatorState } from '../models/ProxyMediatorStatus'
import type { AgentDirectory, DownstreamAgent } from '../services/relay/AgentDirectory'
import { StorageHealth } from '../services/relay/StorageHealth'
import type { UpstreamFailover } from '../services/upstream/UpstreamFailover'

/** The proxy's state from its parts, with the upstream and the directory stubbed and Credo's real event bus. */
describe('ProxyHealth', () => {
  const stop$ = new Subject<boolean>()
  const logger = { info: jest.fn(), warn: jest.fn(), debug: jest.fn(), error: jest.fn() }
  const agentContext = { config: { logger }, contextCorrelationId: 'test' } as unknown as AgentContext
  let eventEmitter: EventEmitter
  let upstreamState: ProxyMediatorState
  let failedOver: ReturnType<UpstreamFailover['primaryFailedOver']>
  let failing: DownstreamAgent[]
  let nextFailingAt: number | undefined
  let storage: StorageHealth
  let health: ProxyHealth
  let published: ProxyMediatorStateChangedEvent['payload'][]

  const agent = (overrides: Partial<DownstreamAgent>): DownstreamAgent => ({
    connectionId: 'agent-1',
    label: 'ACA-Py',
    mediationState: 'granted' as DownstreamAgent['mediationState'],
    recipientKeys: new Set(),
    failedAttempts: 4,
    failingSince: Date.parse('2026-12-06T10:00:00Z'),
    lastError: 'connection refused by http://agent:8020: is the agent running and listening there?',
    pending: new Set([{ since: 0 }, { since: 1 }]),
    ...overrides,
  })
  const changed = (type: ProxyMediatorEventTypes) => eventEmitter.emit(agentContext, { type, payload: {} } as never)

  beforeEach(() => {
    eventEmitter = new EventEmitter(agentDependencies, stop$)
    upstreamState = 'ready'
    failedOver = undefined
    failing = []
    nextFailingAt = undefined
    const config = new ProxyMediatorModuleConfig({ agentFailingAfterMs: 30 })
    storage = new StorageHealth(config)
    health = new ProxyHealth(
      config,
      eventEmitter,
      {
        get state() {
          return upstreamState
        },
        reason: 'Picking up from the primary external mediator (implicit).',
        primaryFailedOver: () => failedOver,
      } as unknown as UpstreamFailover,
      {
        failingAgents: () => failing,
        nextFailingAt: () => nextFailingAt,
      } as unknown as AgentDirectory,
      storage,
    )
    published = []
    eventEmitter.on<ProxyMediatorStateChangedEvent>(ProxyMediatorEventTypes.StateChanged, ({ payload }) => {
      published.push(payload)
    })
    health.start(agentContext)
  })
  afterEach(() => health.stop())
  afterAll(() => stop$.next(true))

  it('is the upstream state while nothing fails, and publishes each change of it', () => {
    expect(health.state).toBe('ready')
    expect(published).toEqual([{ previousState: 'init', state: 'ready', reason: health.reason }])
    upstreamState = 'setup'
    changed(ProxyMediatorEventTypes.UpstreamChanged)
    expect(published.map((change) => change.state)).toEqual(['ready', 'setup'])
  })

  it('is degraded while an agent fails, naming it, the cause, since when and its backlog; ready again once it answers', () => {
    failing = [agent({})]
    changed(ProxyMediatorEventTypes.AgentHealthChanged)
    expect(health.state).toBe('degraded')
    expect(health.reason).toBe(
      "Picking up, but: relays to agent 'ACA-Py' (agent-1) fail since 2026-12-06T10:00:00.000Z (connection refused by http://agent:8020: is the agent running and listening there?); 2 messages wait for it.",
    )
    expect(published.at(-1)).toMatchObject({ previousState: 'ready', state: 'degraded' })
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringMatching(/^Proxy mediator is degraded: Picking up, but: relays/),
    )

    failing = []
    changed(ProxyMediatorEventTypes.AgentHealthChanged)
    expect(published.at(-1)).toMatchObject({ previousState: 'degraded', state: 'ready' })
  })

  it('turns degraded by itself when an agent that fails reaches the failing time, with no event to say so', async () => {
    nextFailingAt = Date.now() + 30
    changed(ProxyMediatorEventTypes.AgentHealthChanged)
    expect(health.state).toBe('ready')
    failing = [agent({})]
    nextFailingAt = undefined
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(published.at(-1)?.state).toBe('degraded')
  })

  it('is degraded while the primary mediator is down and new grants name another, and while the store takes no writes', () => {
    failedOver = { id: 'primary-1', downSince: Date.parse('2026-12-06T10:00:00Z'), holderId: 'standby-1' }
    changed(ProxyMediatorEventTypes.UpstreamChanged)
    expect(health.reason).toMatch(
      /the primary external mediator primary-1 is down since .*, so new grants name standby-1/,
    )
    failedOver = undefined
    storage.failed(agentContext, new Error('SQLITE_FULL: database or disk is full'))
    expect(health.state).toBe('degraded')
    expect(health.reason).toMatch(/the proxy's store takes no writes since .* \(storage full: SQLITE_FULL/)
  })

  it('stays what the upstream says when pickup does not run, whatever fails', () => {
    upstreamState = 'setup'
    failing = [agent({})]
    expect(health.state).toBe('setup')
    expect(health.reason).toBe('Picking up from the primary external mediator (implicit).')
  })

  it('publishes the change even when a logger throws', () => {
    logger.error.mockImplementationOnce(() => {
      throw new Error('a logger that throws')
    })
    failing = [agent({})]
    changed(ProxyMediatorEventTypes.AgentHealthChanged)
    expect(published.at(-1)?.state).toBe('degraded')
  })
})
