import { createHash } from 'node:crypto'
import type { AgentContext } from '@credo-ts/core'
import { ProxyMediatorModuleConfig, type ProxyMediatorModuleConfigOptions } from '../../../ProxyMediatorModuleConfig'
import type { DeadLetterRecord } from '../../../repository/DeadLetterRecord'
import type { DeadLetterRepository } from '../../../repository/DeadLetterRepository'
import { DeadLetterStore, type DeadLetterSummary } from '../DeadLetterStore'

/** The repository calls the store makes, over a map, with the bytes each record would take as JSON. */
class MapRepository {
  public readonly records = new Map<string, DeadLetterRecord>()
  public getAllCalls = 0
  public async save(_context: AgentContext, record: DeadLetterRecord) {
    this.records.set(record.id, record)
  }
  public async getAll() {
    this.getAllCalls++
    return [...this.records.values()]
  }
  public async findById(_context: AgentContext, id: string) {
    return this.records.get(id) ?? null
  }
  public async deleteById(_context: AgentContext, id: string) {
    this.records.delete(id)
  }
  public get storedBytes(): number {
    return [...this.records.values()].reduce((sum, record) => sum + JSON.stringify(record).length, 0)
  }
}

const agentContext = {
  config: { logger: { warn: jest.fn() } },
} as unknown as AgentContext
const envelopeOf = (bytes: number, tag = 'x') => ({
  protected: 'e30',
  iv: 'i',
  ciphertext: tag.repeat(bytes),
  tag: 't',
})

describe('DeadLetterStore', () => {
  let repository: MapRepository
  const storeWith = (options: ProxyMediatorModuleConfigOptions) =>
    new DeadLetterStore(new ProxyMediatorModuleConfig(options), repository as unknown as DeadLetterRepository)

  beforeEach(() => {
    repository = new MapRepository()
  })

  /** Every dead letter, newest first, following `next` from page to page. */
  async function allPages(store: DeadLetterStore, limit: number) {
    const pages: DeadLetterSummary[][] = []
    let before: string | undefined
    do {
      const page = await store.page(agentContext, { limit, before })
      pages.push(page.deadLetters)
      before = page.next
    } while (before !== undefined)
    return pages
  }

  it('refuses a page limit that is not a whole number of at least 1, rather than paging everything', async () => {
    const store = storeWith({})
    for (let index = 0; index < 3; index++) store.keep(agentContext, { reason: `r${index}` })
    for (const limit of [0, -1, 2.5, Number.NaN]) {
      await expect(store.page(agentContext, { limit })).rejects.toThrow(
        `limit must be a whole number of at least 1, got ${limit}`,
      )
    }
    expect((await store.page(agentContext, { limit: 1 })).deadLetters).toHaveLength(1)
  })

  it('keeps an envelope up to the cap whole, and one past it as its size and digest only; lists neither', async () => {
    const store = storeWith({ deadLetterEnvelopeMaxBytes: 1024 })
    const small = envelopeOf(100)
    const large = envelopeOf(3_500_000)
    store.keep(agentContext, { reason: 'small', envelope: small })
    store.keep(agentContext, { reason: 'large', recipientKey: 'key-1', envelope: large })
    const { deadLetters } = await store.page(agentContext)
    const largeJson = JSON.stringify(large)
    expect(deadLetters.map(({ id, at, ...rest }) => rest)).toEqual([
      {
        reason: 'large',
        recipientKey: 'key-1',
        envelopeBytes: largeJson.length,
        envelopeDigest: createHash('sha256').update(largeJson).digest('base64url'),
        replayable: false,
      },
      {
        reason: 'small',
        recipientKey: undefined,
        envelopeBytes: JSON.stringify(small).length,
        envelopeDigest: undefined,
        replayable: true,
      },
    ])
    expect(repository.storedBytes).toBeLessThan(4096)
    // The envelope is there for a replay, by id only.
    expect((await store.get(agentContext, deadLetters[1].id))?.envelope).toEqual(small)
    expect((await store.get(agentContext, deadLetters[0].id))?.envelope).toBeUndefined()
    expect(await store.get(agentContext, 'no-such-id')).toBeUndefined()
  })

  it('stays within its byte budget and its count, dropping the oldest first', async () => {
    const store = storeWith({
      deadLetterEnvelopeMaxBytes: 64 * 1024,
      deadLetterStoreMaxBytes: 256 * 1024,
      deadLetterRetention: 1_000,
    })
    // 130 envelopes of 3.5 MB were 456 MB of store before the caps; 130 at the per-envelope cap:
    for (let index = 0; index < 130; index++) {
      store.keep(agentContext, { reason: `r${index}`, envelope: envelopeOf(60 * 1024) })
    }
    const kept = (await allPages(store, 1_000)).flat()
    expect(repository.storedBytes).toBeLessThanOrEqual(256 * 1024)
    expect(kept.length).toBeGreaterThan(0)
    expect(kept[0].reason).toBe('r129')
    expect(kept.map(({ reason }) => reason)).toEqual(
      Array.from({ length: kept.length }, (_, index) => `r${129 - index}`),
    )

    const counted = storeWith({ deadLetterRetention: 10 })
    repository.records.clear()
    for (let index = 0; index < 25; index++) counted.keep(agentContext, { reason: `c${index}` })
    expect((await counted.page(agentContext)).deadLetters.map(({ reason }) => reason)).toEqual(
      Array.from({ length: 10 }, (_, index) => `c${24 - index}`),
    )
  })

  it('pages newest first by count, every dead letter once, reading the store once and no record', async () => {
    const store = storeWith({ deadLetterEnvelopeMaxBytes: 64 * 1024 })
    for (let index = 0; index < 40; index++) {
      store.keep(agentContext, { reason: `p${index}`, envelope: envelopeOf(10 * 1024) })
    }
    const findById = jest.spyOn(repository, 'findById')
    const byCount = await allPages(store, 7)
    expect(byCount.map((page) => page.length)).toEqual([7, 7, 7, 7, 7, 5])
    expect(byCount.flat().map(({ reason }) => reason)).toEqual(
      Array.from({ length: 40 }, (_, index) => `p${39 - index}`),
    )
    expect((await allPages(store, 40)).map((page) => page.length)).toEqual([40])
    expect(repository.getAllCalls).toBe(1)
    expect(findById).not.toHaveBeenCalled()
  })

  it('bounds a reason that quotes what a sender wrote', async () => {
    const store = storeWith({})
    store.keep(agentContext, { reason: `no agent registered key ${'k'.repeat(100_000)}` })
    const [letter] = (await store.page(agentContext)).deadLetters
    expect(letter.reason.length).toBeLessThanOrEqual(513)
    expect(letter.reason.startsWith('no agent registered key kkk')).toBe(true)
  })

  it("finds an agent's dead letters by key, and removes the ones asked for", async () => {
    const store = storeWith({})
    store.keep(agentContext, { reason: 'a1', recipientKey: 'key-a' })
    store.keep(agentContext, { reason: 'b1', recipientKey: 'key-b' })
    store.keep(agentContext, { reason: 'none' })
    store.keep(agentContext, { reason: 'a2', recipientKey: 'key-a2' })
    const ofA = await store.idsFor(agentContext, new Set(['key-a', 'key-a2']))
    expect(ofA).toHaveLength(2)
    expect(await store.idsFor(agentContext)).toHaveLength(4)
    expect(await store.remove(agentContext, [...ofA, 'no-such-id'])).toBe(2)
    expect((await store.page(agentContext)).deadLetters.map(({ reason }) => reason)).toEqual(['none', 'b1'])
    expect(repository.records.size).toBe(2)
    // What is kept after a removal is ordered after it, as ever.
    store.keep(agentContext, { reason: 'later' })
    expect((await store.page(agentContext)).deadLetters.map(({ reason }) => reason)).toEqual(['later', 'none', 'b1'])
  })

  it('answers an empty page for a cursor it did not make', async () => {
    const store = storeWith({})
    store.keep(agentContext, { reason: 'one' })
    expect(await store.page(agentContext, { before: 'not-a-cursor' })).toEqual({ deadLetters: [] })
  })
})
