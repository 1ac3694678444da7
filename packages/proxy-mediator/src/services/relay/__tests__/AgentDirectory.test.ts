import { randomBytes } from 'node:crypto'
import {
  type AgentContext,
  type ConnectionService,
  EventEmitter,
  MediationRecord,
  type MediationRecordProps,
  type MediationRepository,
  MediationRole,
  MediationState,
  RepositoryEventTypes,
  TypedArrayEncoder,
} from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'
import { Subject } from 'rxjs'
import { AgentDirectory } from '../AgentDirectory'

const ENDPOINT = 'http://agent.internal:8020'
const KEY_A = '7Z8ftDAzMvoyXnGEJye8DurzgQQXLAbYCaeeesM7UKHa'
const KEY_B = '7d3y2WdzxE7CfsWjkGy3WndkvZcj1EHMkzKJiFPiDecH'
const KEY_N = '8S5Wk8E83ofvLxWpyrt51HturU995zXCTtKBQovuBeUm'
const PROXY_KEY = '8Zv72jA9EQGNd91qrTXub3SSLnZYS7tqaheVXa26gK8B'

/** The routing table against Credo's real event bus, with storage and DID resolution stubbed. */
const FAILING_AFTER_MS = 30_000

describe('AgentDirectory', () => {
  const stop$ = new Subject<boolean>()
  const eventEmitter = new EventEmitter(agentDependencies, stop$)
  const resolveDidDocument = jest.fn().mockResolvedValue({ didCommServices: [{ serviceEndpoint: ENDPOINT }] })
  const agentContext = {
    config: { logger: { warn: jest.fn() } },
    contextCorrelationId: 'test',
    dependencyManager: { resolve: () => ({ resolveDidDocument }) },
  } as unknown as AgentContext
  const stored: MediationRecord[] = []
  let directory: AgentDirectory

  const record = (props: Partial<MediationRecordProps> & { connectionId: string }) =>
    new MediationRecord({
      threadId: 'thread',
      role: MediationRole.Mediator,
      state: MediationState.Granted,
      recipientKeys: [],
      routingKeys: [],
      ...props,
    })
  const emit = (type: RepositoryEventTypes, payload: { record: unknown }) =>
    eventEmitter.emit(agentContext, { type, payload } as never)

  beforeEach(async () => {
    stored.splice(0, stored.length, record({ connectionId: 'existing', recipientKeys: [KEY_A] }))
    directory = new AgentDirectory(
      { findByQuery: jest.fn(async () => stored) } as unknown as MediationRepository,
      {
        findById: jest.fn(async (_context, id: string) => ({
          id,
          theirLabel: `label of ${id}`,
          theirDid: 'did:peer:x',
        })),
      } as unknown as ConnectionService,
      eventEmitter,
    )
    await directory.load(agentContext)
  })
  afterEach(() => directory.stop())
  afterAll(() => stop$.next(true))

  it('loads the granted agents with their endpoint and label', async () => {
    expect(directory.agentsByKey.get(KEY_A)?.connectionId).toBe('existing')
    await new Promise(setImmediate)
    expect(directory.list(FAILING_AFTER_MS)).toEqual([
      {
        connectionId: 'existing',
        label: 'label of existing',
        mediationState: 'granted',
        keyCount: 1,
        recipientKeys: ['did:key:z6Mkm1PiUTRRhUJSeH6vzYby51QzVygNk3qttbZaV9K8PY4x'],
        endpoint: ENDPOINT,
        state: 'ok',
        backlog: 0,
        failedAttempts: 0,
      },
    ])
  })

  it('takes keys from the keylist index at once, and keys Credo wrote into the record as the agent’s too', () => {
    const agent = directory.agentOf('existing')
    if (!agent) throw new Error('the existing agent was not loaded')
    directory.addKeys(agent, [KEY_B])
    expect(directory.agentsByKey.get(KEY_B)?.connectionId).toBe('existing')
    directory.removeKeys(agent, [KEY_A])
    expect(directory.agentsByKey.get(KEY_A)).toBeUndefined()
    expect(directory.ownerOf(KEY_A)).toBeUndefined()

    // An update of the record (a new thread) leaves the keys as they are.
    emit(RepositoryEventTypes.RecordUpdated, { record: record({ connectionId: 'existing', threadId: 'another' }) })
    expect(directory.agentsByKey.get(KEY_B)?.connectionId).toBe('existing')
    emit(RepositoryEventTypes.RecordUpdated, { record: record({ connectionId: 'existing', recipientKeys: [KEY_N] }) })
    expect([...agent.recipientKeys]).toEqual([KEY_B, KEY_N])
  })

  it('lists the first 100 keys of an agent in its status, and counts them all', () => {
    const agent = directory.agentOf('existing')
    if (!agent) throw new Error('the existing agent was not loaded')
    const many = Array.from({ length: 250 }, () => TypedArrayEncoder.toBase58(randomBytes(32)))
    directory.addKeys(agent, many)
    const [status] = directory
      .list(FAILING_AFTER_MS)
      .map(({ keyCount, recipientKeys }) => ({ keyCount, listed: recipientKeys.length }))
    expect(status).toEqual({ keyCount: 251, listed: 100 })
    expect(directory.ownerOf(many[249])).toBe(agent)
  })

  it('routes to an agent only once its mediation is granted', () => {
    const requested = record({ connectionId: 'new', state: MediationState.Requested, recipientKeys: [KEY_N] })
    emit(RepositoryEventTypes.RecordSaved, { record: requested })
    expect(directory.agentsByKey.get(KEY_N)).toBeUndefined()
    requested.state = MediationState.Granted
    emit(RepositoryEventTypes.RecordUpdated, { record: requested })
    expect(directory.agentsByKey.get(KEY_N)?.connectionId).toBe('new')
  })

  it('ignores the proxy’s own upstream mediation and other records, and forgets a deleted one', () => {
    emit(RepositoryEventTypes.RecordSaved, {
      record: record({ connectionId: 'upstream', role: MediationRole.Recipient, recipientKeys: [PROXY_KEY] }),
    })
    expect(directory.agentsByKey.get(PROXY_KEY)).toBeUndefined()

    emit(RepositoryEventTypes.RecordDeleted, { record: { id: stored[0].id, type: MediationRecord.type } })
    expect(directory.agentsByKey.get(KEY_A)).toBeUndefined()
    expect(directory.list(FAILING_AFTER_MS)).toEqual([])
  })

  it('tells an agent whose relays fail as failing only once they have failed for the failing time, with its backlog', () => {
    const agent = directory.agentOf('existing')
    if (!agent) throw new Error('the existing agent was not loaded')
    const now = 1_000_000
    agent.failingSince = now - FAILING_AFTER_MS + 1
    agent.lastError = 'connection refused by http://agent: is the agent running and listening there?'
    agent.pending.add({ since: now - 90_000 })
    expect(directory.failingAgents(FAILING_AFTER_MS, now)).toEqual([])
    expect(directory.nextFailingAt(FAILING_AFTER_MS, now)).toBe(now + 1)
    const [early] = directory.list(FAILING_AFTER_MS, now)
    expect(early).toMatchObject({ state: 'ok', backlog: 1, oldestUndeliveredMs: 90_000 })

    const later = now + 1
    expect(directory.failingAgents(FAILING_AFTER_MS, later)).toEqual([agent])
    expect(directory.nextFailingAt(FAILING_AFTER_MS, later)).toBeUndefined()
    const [failing] = directory.list(FAILING_AFTER_MS, later)
    expect(failing).toMatchObject({
      state: 'failing',
      failingSince: new Date(now - FAILING_AFTER_MS + 1).toISOString(),
      lastError: agent.lastError,
    })
  })
})
