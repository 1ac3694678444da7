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
} from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'
import { Subject } from 'rxjs'
import { AgentDirectory } from '../AgentDirectory'

const ENDPOINT = 'http://agent.internal:8020'

/** The routing table against Credo's real event bus, with storage and DID resolution stubbed. */
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
    stored.splice(0, stored.length, record({ connectionId: 'existing', recipientKeys: ['key-a'] }))
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
    expect(directory.findByRecipientKey('key-a')?.connectionId).toBe('existing')
    await new Promise(setImmediate)
    expect(directory.list()).toEqual([
      {
        connectionId: 'existing',
        label: 'label of existing',
        mediationState: 'granted',
        keyCount: 1,
        endpoint: ENDPOINT,
      },
    ])
  })

  it('applies a keylist change the moment the record is written, before any await', () => {
    const updated = record({ connectionId: 'existing', recipientKeys: ['key-a', 'key-b'] })
    emit(RepositoryEventTypes.RecordUpdated, { record: updated })
    expect(directory.findByRecipientKey('key-b')?.connectionId).toBe('existing')

    updated.recipientKeys = ['key-b']
    emit(RepositoryEventTypes.RecordUpdated, { record: updated })
    expect(directory.findByRecipientKey('key-a')).toBeUndefined()
  })

  it('routes to an agent only once its mediation is granted', () => {
    const requested = record({ connectionId: 'new', state: MediationState.Requested, recipientKeys: ['key-n'] })
    emit(RepositoryEventTypes.RecordSaved, { record: requested })
    expect(directory.findByRecipientKey('key-n')).toBeUndefined()
    requested.state = MediationState.Granted
    emit(RepositoryEventTypes.RecordUpdated, { record: requested })
    expect(directory.findByRecipientKey('key-n')?.connectionId).toBe('new')
  })

  it('ignores the proxy’s own upstream mediation and other records, and forgets a deleted one', () => {
    emit(RepositoryEventTypes.RecordSaved, {
      record: record({ connectionId: 'upstream', role: MediationRole.Recipient, recipientKeys: ['proxy-key'] }),
    })
    expect(directory.findByRecipientKey('proxy-key')).toBeUndefined()

    emit(RepositoryEventTypes.RecordDeleted, { record: { id: stored[0].id, type: MediationRecord.type } })
    expect(directory.findByRecipientKey('key-a')).toBeUndefined()
    expect(directory.list()).toEqual([])
  })
})
