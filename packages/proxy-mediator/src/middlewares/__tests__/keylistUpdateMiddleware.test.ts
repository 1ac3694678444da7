import {
  ConnectionRecord,
  type ConnectionService,
  DidExchangeRole,
  DidExchangeState,
  EventEmitter,
  InboundMessageContext,
  KeylistUpdate,
  KeylistUpdateAction,
  KeylistUpdateMessage,
  KeylistUpdateResponseMessage,
  KeylistUpdateResult,
  MediationRecord,
  type MediationRepository,
  MediationRequestMessage,
  MediationRole,
  MediationState,
  ProblemReportError,
} from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'
import { Subject } from 'rxjs'
import { ProxyMediatorModuleConfig, type ProxyMediatorModuleConfigOptions } from '../../ProxyMediatorModuleConfig'
import { InMemoryRepository } from '../../__tests__/support/InMemoryRepository'
import { testAgentContext } from '../../__tests__/support/testAgentContext'
import type { AgentKeyRecord } from '../../repository/AgentKeyRecord'
import type { AgentKeyRepository } from '../../repository/AgentKeyRepository'
import { AgentKeylists } from '../../services/downstream/AgentKeylists'
import { AgentDirectory } from '../../services/relay/AgentDirectory'
import { UpstreamMediators } from '../../services/upstream/UpstreamMediators'
import { keylistUpdateMiddleware } from '../keylistUpdateMiddleware'

const KEY_1 = '7Z8ftDAzMvoyXnGEJye8DurzgQQXLAbYCaeeesM7UKHa'
const KEY_2 = '7d3y2WdzxE7CfsWjkGy3WndkvZcj1EHMkzKJiFPiDecH'
const KEY_3 = '8S5Wk8E83ofvLxWpyrt51HturU995zXCTtKBQovuBeUm'

/**
 * What the middleware does with an agent's keylist-update: the real keylist index
 * (`AgentKeylists`) and routing table (`AgentDirectory`) over records in memory, and the external
 * mediators as one `mirrorAgentKeys`.
 */
describe('keylistUpdateMiddleware', () => {
  const stop$ = new Subject<boolean>()
  let keyRecords: InMemoryRepository<AgentKeyRecord>
  let mediations: InMemoryRepository<MediationRecord>
  let directory: AgentDirectory
  let mirrorAgentKeys: jest.Mock
  let next: jest.Mock
  let agent: ConnectionRecord
  let context: ReturnType<typeof testAgentContext>['agentContext']

  /** The proxy's parts as the middleware resolves them, with this config; the agent has mediation granted. */
  const setUp = async (options: ProxyMediatorModuleConfigOptions = {}) => {
    const config = new ProxyMediatorModuleConfig(options)
    keyRecords = new InMemoryRepository()
    mediations = new InMemoryRepository()
    const eventEmitter = new EventEmitter(agentDependencies, stop$)
    const connectionService = { findById: async () => null, update: async () => undefined }
    directory = new AgentDirectory(
      mediations as unknown as MediationRepository,
      connectionService as unknown as ConnectionService,
      eventEmitter,
    )
    const keylists = new AgentKeylists(
      config,
      directory,
      keyRecords as unknown as AgentKeyRepository,
      mediations as unknown as MediationRepository,
      connectionService as unknown as ConnectionService,
    )
    mirrorAgentKeys = jest.fn(async () => undefined)
    context = testAgentContext({
      dependencies: [
        [ProxyMediatorModuleConfig, config],
        [AgentKeylists, keylists],
        [UpstreamMediators, { mirrorAgentKeys }],
      ],
    }).agentContext
    agent = new ConnectionRecord({ role: DidExchangeRole.Responder, state: DidExchangeState.Completed })
    await mediations.save(
      context,
      new MediationRecord({
        connectionId: agent.id,
        role: MediationRole.Mediator,
        state: MediationState.Granted,
        threadId: 'mediate-request',
      }),
    )
    await directory.load(context)
    next = jest.fn(async () => undefined)
  }
  afterEach(() => directory.stop())
  afterAll(() => stop$.next(true))

  const keylistUpdate = (...updates: Array<[KeylistUpdateAction, string]>) =>
    new InboundMessageContext(
      new KeylistUpdateMessage({
        updates: updates.map(([action, recipientKey]) => new KeylistUpdate({ action, recipientKey })),
      }),
      { agentContext: context, connection: agent },
    )
  const add = (key: string): [KeylistUpdateAction, string] => [KeylistUpdateAction.add, key]
  const remove = (key: string): [KeylistUpdateAction, string] => [KeylistUpdateAction.remove, key]
  const routedKeys = () => [...directory.agentsByKey.keys()]
  const refusal = async (messageContext: InboundMessageContext) => {
    const error = await keylistUpdateMiddleware(messageContext, next).catch((thrown) => thrown)
    expect(error).toBeInstanceOf(ProblemReportError)
    return { message: error.message, code: (error as ProblemReportError).problemReport.description.code }
  }

  it("takes the update itself: the agent's keys are indexed and routed, and it is answered as Credo would; Credo's handler does not run", async () => {
    await setUp()
    const update = keylistUpdate(add(KEY_1), add(KEY_2))
    await keylistUpdateMiddleware(update, next)
    expect(next).not.toHaveBeenCalled()
    const response = update.responseMessage
    expect(response?.connection).toBe(agent)
    expect(response?.message).toBeInstanceOf(KeylistUpdateResponseMessage)
    expect(response?.message).toMatchObject({
      threadId: update.message.threadId,
      updated: [
        { action: KeylistUpdateAction.add, recipientKey: KEY_1, result: KeylistUpdateResult.Success },
        { action: KeylistUpdateAction.add, recipientKey: KEY_2, result: KeylistUpdateResult.Success },
      ],
    })
    expect(routedKeys()).toEqual([KEY_1, KEY_2])
    expect(keyRecords.all.map((record) => record.recipientKey)).toEqual([KEY_1, KEY_2])
  })

  it('refuses an update that would take the agent past the per-agent cap whole, naming the cap; nothing changes', async () => {
    await setUp({ maxKeysPerAgent: 2, relayMode: 'transparent' })
    await keylistUpdateMiddleware(keylistUpdate(add(KEY_1)), next)
    mirrorAgentKeys.mockClear()

    const update = keylistUpdate(add(KEY_2), add(KEY_3))
    expect(await refusal(update)).toEqual({
      message:
        'keylist-update refused: the agent would hold 3 keys; at most 2 are kept per agent. Remove keys it no longer uses first.',
      code: 'request_not_accepted',
    })
    expect(update.responseMessage).toBeUndefined()
    expect(routedKeys()).toEqual([KEY_1])
    expect(keyRecords.all.map((record) => record.recipientKey)).toEqual([KEY_1])
    expect(mirrorAgentKeys).not.toHaveBeenCalled()

    // Within the cap, removing one key to make room for another, it is taken.
    await keylistUpdateMiddleware(keylistUpdate(remove(KEY_1), add(KEY_3)), next)
    expect(routedKeys()).toEqual([KEY_3])
  })

  it('in transparent mode, mirrors the keys that changed to the external mediators before the agent is answered', async () => {
    await setUp({ relayMode: 'transparent' })
    await keylistUpdateMiddleware(keylistUpdate(add(KEY_1)), next)
    const update = keylistUpdate(remove(KEY_1), add(KEY_2), remove(KEY_3))
    let answeredBeforeMirrored: boolean | undefined
    mirrorAgentKeys.mockImplementation(async () => {
      answeredBeforeMirrored = update.responseMessage !== undefined
    })
    await keylistUpdateMiddleware(update, next)
    // Only what changed: KEY_3 was never held.
    expect(mirrorAgentKeys).toHaveBeenLastCalledWith(context, [KEY_2], [KEY_1])
    expect(answeredBeforeMirrored).toBe(false)
    expect(update.responseMessage).toBeDefined()
  })

  it('in proxy mode, mirrors nothing: the external mediators know only the proxy key', async () => {
    await setUp({ relayMode: 'proxy' })
    await keylistUpdateMiddleware(keylistUpdate(add(KEY_1)), next)
    expect(routedKeys()).toEqual([KEY_1])
    expect(mirrorAgentKeys).not.toHaveBeenCalled()
  })

  it('answers with a problem report, where Credo would answer nobody, an update without granted mediation or with a key that is not a key', async () => {
    await setUp()
    const stranger = new ConnectionRecord({ role: DidExchangeRole.Responder, state: DidExchangeState.Completed })
    const fromStranger = new InboundMessageContext(keylistUpdate(add(KEY_1)).message, {
      agentContext: context,
      connection: stranger,
    })
    expect(await refusal(fromStranger)).toEqual({
      message: 'keylist-update refused: no mediation is granted on this connection; send a mediate-request first',
      code: 'request_not_accepted',
    })
    expect(await refusal(keylistUpdate(add('not-a-key')))).toEqual({
      message: "keylist-update refused: 'not-a-key' is not an Ed25519 key (raw base58 or did:key)",
      code: 'request_not_accepted',
    })
    expect(routedKeys()).toEqual([])
  })

  it('passes any other message on to Credo, and a keylist-update that came without a connection', async () => {
    await setUp({ relayMode: 'transparent' })
    await keylistUpdateMiddleware(
      new InboundMessageContext(new MediationRequestMessage({}), { agentContext: context, connection: agent }),
      next,
    )
    await keylistUpdateMiddleware(
      new InboundMessageContext(keylistUpdate(add(KEY_1)).message, { agentContext: context }),
      next,
    )
    expect(next).toHaveBeenCalledTimes(2)
    expect(routedKeys()).toEqual([])
    expect(mirrorAgentKeys).not.toHaveBeenCalled()
  })
})
