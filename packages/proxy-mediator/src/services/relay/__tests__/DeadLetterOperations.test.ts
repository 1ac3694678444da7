import type { AgentContext } from '@credo-ts/core'
import type { AgentDirectory, DownstreamAgent } from '../AgentDirectory'
import { DeadLetterOperations } from '../DeadLetterOperations'
import type { DeadLetter, DeadLetterStore } from '../DeadLetterStore'
import type { RelayPipeline, Submission } from '../RelayPipeline'

const info = jest.fn()
const agentContext = { config: { logger: { info } } } as unknown as AgentContext

const letter = (id: string, props: Partial<DeadLetter> = {}): DeadLetter => ({
  id,
  at: '2026-12-06T00:00:00.000Z',
  reason: 'no agent registered key key-a',
  replayable: true,
  envelope: { protected: 'e30', iv: 'i', ciphertext: id, tag: 't' },
  ...props,
})

describe('DeadLetterOperations', () => {
  let letters: Map<string, DeadLetter>
  let pipeline: { resubmit: jest.Mock; submit: jest.Mock }
  let operations: DeadLetterOperations
  const agentA = { connectionId: 'conn-a', recipientKeys: new Set(['key-a']) } as unknown as DownstreamAgent

  beforeEach(() => {
    info.mockReset()
    letters = new Map(
      [
        letter('dl-a1', { recipientKey: 'key-a' }),
        letter('dl-a2', { recipientKey: 'key-a' }),
        letter('dl-b', { recipientKey: 'key-b' }),
        letter('dl-large', { recipientKey: 'key-a', envelope: undefined, replayable: false, envelopeBytes: 3_000_000 }),
        letter('dl-outer', { reason: 'cannot decrypt envelope' }),
      ].map((deadLetter) => [deadLetter.id, deadLetter]),
    )
    const store = {
      page: async () => ({ deadLetters: [...letters.values()].map(({ envelope, ...summary }) => summary) }),
      get: async (_context: AgentContext, id: string) => letters.get(id),
      idsFor: async (_context: AgentContext, keys?: ReadonlySet<string>) =>
        [...letters.values()]
          .filter((deadLetter) => !keys || (deadLetter.recipientKey && keys.has(deadLetter.recipientKey)))
          .map(({ id }) => id),
      remove: async (_context: AgentContext, ids: readonly string[]) => ids.filter((id) => letters.delete(id)).length,
    }
    pipeline = {
      // Only key-a has an agent now.
      resubmit: jest.fn(
        async (_context: AgentContext, forward: { recipientKey: string }): Promise<Submission> =>
          forward.recipientKey === 'key-a'
            ? { kind: 'accepted' }
            : { kind: 'refused', code: 'unknown_recipient', reason: `no agent registered key ${forward.recipientKey}` },
      ),
      submit: jest.fn(
        async (): Promise<Submission> => ({
          kind: 'refused',
          code: 'undecryptable',
          reason: 'cannot decrypt envelope',
        }),
      ),
    }
    const directory = {
      ownerOf: (key: string) => (key === 'key-a' ? agentA : undefined),
      agentOf: (connectionId: string) => (connectionId === 'conn-a' ? agentA : undefined),
    }
    operations = new DeadLetterOperations(
      store as unknown as DeadLetterStore,
      pipeline as unknown as RelayPipeline,
      directory as unknown as AgentDirectory,
    )
  })

  it('lists summaries with the agent that holds each key now, and never an envelope', async () => {
    const { deadLetters } = await operations.page(agentContext)
    expect(deadLetters.map(({ id, agentConnectionId }) => [id, agentConnectionId])).toEqual([
      ['dl-a1', 'conn-a'],
      ['dl-a2', 'conn-a'],
      ['dl-b', undefined],
      ['dl-large', 'conn-a'],
      ['dl-outer', undefined],
    ])
    for (const deadLetter of deadLetters) expect(deadLetter).not.toHaveProperty('envelope')
  })

  it("relays an agent's dead letters again through the pipeline, and keeps the ones it cannot", async () => {
    const result = await operations.replayAgent(agentContext, 'conn-a', { by: 'operator@10.0.0.7' })
    expect(result.replayed).toEqual(['dl-a1', 'dl-a2'])
    expect(result.refused).toEqual([
      { id: 'dl-large', reason: expect.stringMatching(/3000000 bytes.*size and digest/) },
    ])
    expect(pipeline.resubmit).toHaveBeenCalledTimes(2)
    expect(pipeline.resubmit).toHaveBeenCalledWith(agentContext, {
      recipientKey: 'key-a',
      envelope: expect.objectContaining({ ciphertext: 'dl-a1' }),
    })
    expect([...letters.keys()]).toEqual(['dl-b', 'dl-large', 'dl-outer'])
    expect(info).toHaveBeenCalledWith(
      'Dead letters: operator@10.0.0.7 relayed again 2 dead letters',
      expect.objectContaining({ ids: ['dl-a1', 'dl-a2'] }),
    )
  })

  it('submits a dead letter that was never read as a forward as it came, and says why it is refused', async () => {
    const result = await operations.replay(agentContext, ['dl-outer', 'dl-b', 'no-such-id'])
    expect(pipeline.submit).toHaveBeenCalledWith(
      agentContext,
      { encrypted: expect.objectContaining({ ciphertext: 'dl-outer' }) },
      { kind: 'posted' },
    )
    expect(result).toEqual({
      replayed: [],
      refused: [
        { id: 'dl-outer', reason: 'cannot decrypt envelope' },
        { id: 'dl-b', reason: 'no agent registered key key-b' },
        { id: 'no-such-id', reason: expect.stringMatching(/no dead letter has this id/) },
      ],
    })
    expect(letters.size).toBe(5)
  })

  it("deletes one, an agent's, or all, and logs who did it", async () => {
    expect(await operations.delete(agentContext, ['dl-b'], { by: 'ops' })).toBe(1)
    expect(await operations.deleteAll(agentContext, 'conn-a', { by: 'ops' })).toBe(3)
    expect(await operations.deleteAll(agentContext, 'conn-unknown')).toBe(0)
    expect([...letters.keys()]).toEqual(['dl-outer'])
    expect(await operations.deleteAll(agentContext)).toBe(1)
    expect(letters.size).toBe(0)
    expect(info.mock.calls.map(([message]) => message)).toEqual([
      'Dead letters: ops deleted 1 dead letters',
      'Dead letters: ops deleted 3 dead letters',
      'Dead letters: an unnamed caller deleted 0 dead letters',
      'Dead letters: an unnamed caller deleted 1 dead letters',
    ])
  })

  it('goes on when the log throws', async () => {
    info.mockImplementation(() => {
      throw new Error('log down')
    })
    expect(await operations.replay(agentContext, ['dl-a1'])).toEqual({ replayed: ['dl-a1'], refused: [] })
  })
})
