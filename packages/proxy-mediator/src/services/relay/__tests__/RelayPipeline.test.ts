import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AgentContext, EventEmitter } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../../ProxyMediatorModuleConfig'
import { StorageUnavailableError } from '../../../errors/StorageUnavailableError'
import { OutboxRecord } from '../../../repository/OutboxRecord'
import type { OutboxRepository } from '../../../repository/OutboxRepository'
import type { StorageProbeRepository } from '../../../repository/StorageProbeRepository'
import { Egress } from '../../../transport/Egress'
import type { AgentDirectory, DownstreamAgent } from '../AgentDirectory'
import type { DeadLetterStore } from '../DeadLetterStore'
import { LiveRelayCounters } from '../LiveRelayCounters'
import { type ForwardSource, RelayPipeline } from '../RelayPipeline'
import { StorageHealth } from '../StorageHealth'

const AGENT_KEY = '7Z8ftDAzMvoyXnGEJye8DurzgQQXLAbYCaeeesM7UKHa'
const OTHER_KEY = '7d3y2WdzxE7CfsWjkGy3WndkvZcj1EHMkzKJiFPiDecH'
const agentEnvelope = { protected: 'p', iv: 'i', ciphertext: 'c', tag: 't' }
const forwardTo = (to: string) => ({
  plaintext: { '@type': 'https://didcomm.org/routing/1.0/forward', to, msg: agentEnvelope },
})

/**
 * The relay pipeline with storage, dead letters and the event bus stubbed, and a real HTTP server
 * as the agent, whose answers each test sets: the at-least-once ledger and the retry loop.
 */
describe('RelayPipeline', () => {
  let server: Server
  /** The agent's next answers; 200 once they run out. A function answers when it resolves. */
  let answers: Array<number | (() => Promise<number>)>
  let posts: string[]
  let agent: DownstreamAgent
  let outboxRecords: OutboxRecord[]
  let outbox: { save: jest.Mock; delete: jest.Mock; getAll: jest.Mock }
  let deadLetters: { keep: jest.Mock }
  let emit: jest.Mock
  let probes: { save: jest.Mock; delete: jest.Mock }
  let storage: StorageHealth
  let pipeline: RelayPipeline
  const logger = { info: jest.fn(), warn: jest.fn(), debug: jest.fn(), error: jest.fn() }
  const agentContext = { config: { logger }, wallet: { unpack: jest.fn() } } as unknown as AgentContext

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => {
        body += chunk
      })
      request.on('end', async () => {
        posts.push(body)
        const next = answers.shift() ?? 200
        response.statusCode = typeof next === 'number' ? next : await next()
        response.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))

  beforeEach(() => {
    answers = []
    posts = []
    const { port } = server.address() as AddressInfo
    agent = {
      connectionId: 'agent',
      mediationState: 'granted' as DownstreamAgent['mediationState'],
      endpoint: `http://127.0.0.1:${port}`,
      recipientKeys: new Set([AGENT_KEY]),
      failedAttempts: 0,
      pending: new Set(),
    }
    outboxRecords = []
    outbox = {
      save: jest.fn(async (_context, record: OutboxRecord) => {
        outboxRecords.push(record)
      }),
      delete: jest.fn(async (_context, record: OutboxRecord) => {
        outboxRecords.splice(outboxRecords.indexOf(record), 1)
      }),
      getAll: jest.fn(async () => [...outboxRecords]),
    }
    deadLetters = { keep: jest.fn() }
    emit = jest.fn()
    probes = { save: jest.fn(), delete: jest.fn() }
    const config = new ProxyMediatorModuleConfig({
      relayRetryBaseDelayMs: 1,
      relayRetryMaxDelayMs: 2,
      storageProbeIntervalMs: 10,
    })
    storage = new StorageHealth(config)
    pipeline = new RelayPipeline(
      config,
      { agentsByKey: new Map([[AGENT_KEY, agent]]) } as unknown as AgentDirectory,
      outbox as unknown as OutboxRepository,
      deadLetters as unknown as DeadLetterStore,
      { emit } as unknown as EventEmitter,
      new LiveRelayCounters(),
      storage,
      probes as unknown as StorageProbeRepository,
      new Egress({ proxyUrl: null }),
    )
    pipeline.start(agentContext)
  })
  afterEach(() => {
    pipeline.stop()
    pipeline.close()
  })

  const pickedUp = (messageId: string, acknowledge = jest.fn()) => ({
    source: { kind: 'pickup', channelId: 'mediator', messageId, acknowledge } as ForwardSource,
    acknowledge,
  })
  const settle = () => pipeline.drain(5_000)

  it('acknowledges a picked-up message only once the agent answered 2xx', async () => {
    let answer: (status: number) => void = () => undefined
    answers = [
      () =>
        new Promise<number>((resolve) => {
          answer = resolve
        }),
    ]
    const { source, acknowledge } = pickedUp('m1')
    expect(await pipeline.submit(agentContext, forwardTo(AGENT_KEY), source)).toEqual({ kind: 'accepted' })
    await waitUntil(() => posts.length === 1)
    expect(JSON.parse(posts[0])).toEqual(agentEnvelope)
    expect(acknowledge).not.toHaveBeenCalled()
    answer(202)
    await settle()
    expect(acknowledge).toHaveBeenCalledTimes(1)
    expect(pipeline.counters.relayed).toBe(1)
    expect(agent.lastDeliveryAt).toBeDefined()
  })

  it('relays a copy offered again once: never twice at once, and acknowledges one offered after the ack', async () => {
    const first = pickedUp('m1')
    const copy = pickedUp('m1')
    await pipeline.submit(agentContext, forwardTo(AGENT_KEY), first.source)
    expect(await pipeline.submit(agentContext, forwardTo(AGENT_KEY), copy.source)).toEqual({ kind: 'duplicate' })
    await settle()
    expect(posts).toHaveLength(1)
    expect(first.acknowledge).toHaveBeenCalledTimes(1)
    expect(copy.acknowledge).not.toHaveBeenCalled()

    const late = pickedUp('m1')
    expect(await pipeline.submit(agentContext, forwardTo(AGENT_KEY), late.source)).toEqual({ kind: 'duplicate' })
    expect(late.acknowledge).toHaveBeenCalledTimes(1)
    expect(posts).toHaveLength(1)
  })

  it('retries an agent that fails until it answers 2xx, and counts the retries', async () => {
    answers = [503, 503, 503]
    const { source, acknowledge } = pickedUp('m1')
    await pipeline.submit(agentContext, forwardTo(AGENT_KEY), source)
    await waitUntil(() => acknowledge.mock.calls.length === 1)
    expect(posts).toHaveLength(4)
    expect(pipeline.counters.failedAttempts).toBe(3)
    expect(pipeline.counters.relayed).toBe(1)
    expect(agent.failedAttempts).toBe(3)
    // Relayed at last: the agent does not fail any more, and nothing waits for it.
    expect(agent.failingSince).toBeUndefined()
    expect(agent.lastError).toBeUndefined()
    expect(agent.pending.size).toBe(0)
    expect(pipeline.counters.inFlight).toBe(0)
    expect(deadLetters.keep).not.toHaveBeenCalled()
  })

  it('dead-letters a message the agent keeps rejecting with a 4xx, keeps its envelope, and acknowledges it', async () => {
    answers = [400, 400, 400, 400]
    const { source, acknowledge } = pickedUp('m1')
    await pipeline.submit(agentContext, forwardTo(AGENT_KEY), source)
    await waitUntil(() => acknowledge.mock.calls.length === 1)
    expect(posts).toHaveLength(3)
    expect(deadLetters.keep).toHaveBeenCalledWith(agentContext, {
      reason: `agent keeps rejecting it: HTTP 400 from ${agent.endpoint}`,
      recipientKey: AGENT_KEY,
      envelope: agentEnvelope,
    })
    expect(pipeline.counters.deadLettered).toBe(1)
  })

  it('leaves a message unacknowledged when stopped while the agent is down', async () => {
    answers = Array.from({ length: 1_000 }, () => 503)
    const { source, acknowledge } = pickedUp('m1')
    await pipeline.submit(agentContext, forwardTo(AGENT_KEY), source)
    await waitUntil(() => posts.length >= 1)
    pipeline.stop()
    await settle()
    expect(acknowledge).not.toHaveBeenCalled()
  })

  it('keeps a forward with nothing to acknowledge in the outbox until the agent answered, then deletes it', async () => {
    let answer: (status: number) => void = () => undefined
    answers = [
      () =>
        new Promise<number>((resolve) => {
          answer = resolve
        }),
    ]
    await pipeline.submit(agentContext, forwardTo(AGENT_KEY), { kind: 'stream' })
    expect(outboxRecords).toHaveLength(1)
    expect(outboxRecords[0]).toMatchObject({ recipientKey: AGENT_KEY, envelope: agentEnvelope })
    await waitUntil(() => posts.length === 1)
    expect(outbox.delete).not.toHaveBeenCalled()
    answer(200)
    await settle()
    expect(outboxRecords).toHaveLength(0)
    expect(pipeline.counters.outbox).toBe(0)
  })

  it('relays what a restart found in the outbox, and deletes it after the 2xx', async () => {
    outboxRecords.push(new OutboxRecord({ recipientKey: AGENT_KEY, envelope: agentEnvelope }))
    expect(await pipeline.resumeOutbox(agentContext)).toBe(1)
    await settle()
    expect(posts).toHaveLength(1)
    expect(outboxRecords).toHaveLength(0)
  })

  it('refuses a posted forward for a key no agent holds, keeping nothing; dead-letters and acknowledges a picked-up one', async () => {
    expect(await pipeline.submit(agentContext, forwardTo(OTHER_KEY), { kind: 'posted' })).toMatchObject({
      kind: 'refused',
      code: 'unknown_recipient',
    })
    expect(outbox.save).not.toHaveBeenCalled()
    expect(deadLetters.keep).not.toHaveBeenCalled()

    const { source, acknowledge } = pickedUp('m2')
    expect(await pipeline.submit(agentContext, forwardTo(OTHER_KEY), source)).toMatchObject({
      kind: 'refused',
      code: 'unknown_recipient',
    })
    expect(deadLetters.keep).toHaveBeenCalledWith(agentContext, {
      reason: `no agent registered key ${OTHER_KEY}`,
      recipientKey: OTHER_KEY,
      envelope: agentEnvelope,
    })
    expect(acknowledge).toHaveBeenCalledTimes(1)
    expect(posts).toHaveLength(0)
  })

  it('relays a dead letter again through the outbox, at least once, and refuses one whose key no agent holds', async () => {
    answers = [503, 200]
    expect(await pipeline.resubmit(agentContext, { recipientKey: AGENT_KEY, envelope: agentEnvelope })).toEqual({
      kind: 'accepted',
    })
    // In the outbox before the first attempt, so that a restart goes on with it.
    expect(outbox.save).toHaveBeenCalledTimes(1)
    await settle()
    expect(posts.map((body) => JSON.parse(body))).toEqual([agentEnvelope, agentEnvelope])
    expect(outboxRecords).toEqual([])

    expect(await pipeline.resubmit(agentContext, { recipientKey: OTHER_KEY, envelope: agentEnvelope })).toMatchObject({
      kind: 'refused',
      code: 'unknown_recipient',
    })
    expect(outbox.save).toHaveBeenCalledTimes(1)
    expect(deadLetters.keep).not.toHaveBeenCalled()
  })

  it('relays and acknowledges even when an event listener or the logger throws', async () => {
    emit.mockImplementation(() => {
      throw new Error('a listener that throws')
    })
    logger.warn.mockImplementationOnce(() => {
      throw new Error('a logger that throws')
    })
    answers = [503]
    const { source, acknowledge } = pickedUp('m1')
    await pipeline.submit(agentContext, forwardTo(AGENT_KEY), source)
    await waitUntil(() => acknowledge.mock.calls.length === 1)
    expect(pipeline.counters.relayed).toBe(1)
  })
  describe('when the store takes no writes (a full disk)', () => {
    const full = () => Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' })

    it('relays a taken forward from memory, never drops it, and says the store is full', async () => {
      outbox.save.mockRejectedValueOnce(full())
      expect(await pipeline.submit(agentContext, forwardTo(AGENT_KEY), { kind: 'stream' })).toEqual({
        kind: 'accepted',
      })
      expect(storage.failure?.reason).toBe('storage full: SQLITE_FULL: database or disk is full')
      expect(pipeline.counters.heldInMemory).toBe(1)
      await settle()
      expect(posts).toEqual([JSON.stringify(agentEnvelope)])
      expect(pipeline.counters.heldInMemory).toBe(0)
      expect(outboxRecords).toEqual([])
    })

    it('answers a posted forward that it cannot keep with a StorageUnavailableError saying when to try again', async () => {
      outbox.save.mockRejectedValueOnce(full())
      const refused = pipeline.submit(agentContext, forwardTo(AGENT_KEY), { kind: 'posted' })
      await expect(refused).rejects.toThrow(StorageUnavailableError)
      await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 1 })
      expect(posts).toEqual([])
    })

    it('writes what it holds to the outbox once the store takes writes, and so learns that it does', async () => {
      outbox.save.mockRejectedValueOnce(full())
      answers = [() => new Promise(() => undefined)]
      await pipeline.submit(agentContext, forwardTo(AGENT_KEY), { kind: 'stream' })
      expect(storage.failure).toBeDefined()
      const recovered = new Promise<void>((resolve) => storage.onChange(resolve))
      await recovered
      expect(storage.failure).toBeUndefined()
      expect(outboxRecords).toHaveLength(1)
      expect(outboxRecords[0].recipientKey).toBe(AGENT_KEY)
    })

    it('probes with a record of its own while it holds nothing, until a write succeeds', async () => {
      storage.failed(agentContext, full())
      probes.save.mockRejectedValueOnce(full())
      const recovered = new Promise<void>((resolve) => storage.onChange(resolve))
      await recovered
      expect(probes.save).toHaveBeenCalledTimes(2)
      expect(probes.delete).toHaveBeenCalledTimes(1)
    })
  })
})

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
