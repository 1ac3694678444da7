import type { AgentContext, TagsBase, Wallet } from '@credo-ts/core'

import { randomUUID } from 'node:crypto'

import { BaseRecord, CredoError, RecordDuplicateError, RecordNotFoundError, WalletError } from '@credo-ts/core'

import { makeTestWallet, rawWalletConfig } from '../../__tests__/helpers/testWallet'
import type { PortableWallet } from '../../wallet/PortableWallet'
import { SqliteStorageService } from '../SqliteStorageService'

type TestTags = TagsBase & {
  name?: string
  color?: string
  size?: string
  flag?: boolean
  numeric?: string
  items?: string[]
  maybe?: string | null
}

class TestRecord extends BaseRecord<TestTags> {
  public static override readonly type = 'TestRecord'
  public override readonly type = TestRecord.type
  public payload!: string

  public constructor(props?: { id?: string; payload: string; tags?: TestTags }) {
    super()
    if (props) {
      this.id = props.id ?? randomUUID()
      this.createdAt = new Date()
      this.payload = props.payload
      this._tags = props.tags ?? {}
    }
  }

  public getTags() {
    return this._tags
  }
}

class OtherRecord extends BaseRecord {
  public static override readonly type = 'OtherRecord'
  public override readonly type = OtherRecord.type

  public constructor(props?: { id?: string }) {
    super()
    if (props) this.id = props.id ?? randomUUID()
  }

  public getTags() {
    return this._tags
  }
}

describe('SqliteStorageService', () => {
  let wallet: PortableWallet
  let agentContext: AgentContext
  const storage = new SqliteStorageService<TestRecord>()
  const otherStorage = new SqliteStorageService<OtherRecord>()

  const ids = async (query: Parameters<typeof storage.findByQuery>[2], options?: { limit?: number; offset?: number }) =>
    (await storage.findByQuery(agentContext, TestRecord, query, options)).map((record) => record.id).sort()

  beforeEach(async () => {
    wallet = makeTestWallet()
    await wallet.createAndOpen(rawWalletConfig(`storage-${randomUUID()}`))
    agentContext = { wallet } as unknown as AgentContext
  })

  afterEach(async () => {
    await wallet.delete()
  })

  async function saveFixtures() {
    const records = [
      new TestRecord({
        id: 'a',
        payload: 'A',
        tags: { name: 'a', color: 'red', size: 'small', flag: true, items: ['x', 'y'] },
      }),
      new TestRecord({
        id: 'b',
        payload: 'B',
        tags: { name: 'b', color: 'red', size: 'large', flag: false, items: ['y', 'z'] },
      }),
      new TestRecord({
        id: 'c',
        payload: 'C',
        tags: { name: 'c', color: 'blue', size: 'small', numeric: '1', items: ['x'] },
      }),
      new TestRecord({ id: 'd', payload: 'D', tags: { name: 'd', color: 'green', numeric: '0', maybe: null } }),
    ]
    for (const record of records) await storage.save(agentContext, record)
    return records
  }

  test('save and getById round-trip the record and its tags', async () => {
    const record = new TestRecord({
      payload: 'secret payload ✓',
      tags: { name: 'n', flag: true, numeric: '1', items: ['p', 'q:r'] },
    })
    await storage.save(agentContext, record)
    const loaded = await storage.getById(agentContext, TestRecord, record.id)
    expect(loaded).toBeInstanceOf(TestRecord)
    expect(loaded.id).toBe(record.id)
    expect(loaded.payload).toBe('secret payload ✓')
    expect(loaded.createdAt).toEqual(record.createdAt)
    expect(loaded.updatedAt).toBeInstanceOf(Date)
    expect(loaded.getTags()).toEqual({ name: 'n', flag: true, numeric: '1', items: ['p', 'q:r'] })
  })

  test('duplicate id of the same type is rejected; the same id in another type is fine', async () => {
    await storage.save(agentContext, new TestRecord({ id: 'same', payload: '1' }))
    await expect(storage.save(agentContext, new TestRecord({ id: 'same', payload: '2' }))).rejects.toBeInstanceOf(
      RecordDuplicateError,
    )
    await otherStorage.save(agentContext, new OtherRecord({ id: 'same' }))
    expect((await storage.getById(agentContext, TestRecord, 'same')).payload).toBe('1')
  })

  test('missing records raise RecordNotFoundError', async () => {
    await expect(storage.getById(agentContext, TestRecord, 'nope')).rejects.toBeInstanceOf(RecordNotFoundError)
    await expect(storage.update(agentContext, new TestRecord({ id: 'nope', payload: '' }))).rejects.toBeInstanceOf(
      RecordNotFoundError,
    )
    await expect(storage.delete(agentContext, new TestRecord({ id: 'nope', payload: '' }))).rejects.toBeInstanceOf(
      RecordNotFoundError,
    )
    await expect(storage.deleteById(agentContext, TestRecord, 'nope')).rejects.toBeInstanceOf(RecordNotFoundError)
  })

  test('update replaces the value and the whole tag set', async () => {
    const record = new TestRecord({ id: 'u', payload: 'before', tags: { color: 'red', items: ['x', 'y'] } })
    await storage.save(agentContext, record)
    record.payload = 'after'
    record.setTags({ color: 'blue', items: ['z'] })
    await storage.update(agentContext, record)

    expect((await storage.getById(agentContext, TestRecord, 'u')).payload).toBe('after')
    expect(await ids({ color: 'red' })).toEqual([])
    expect(await ids({ items: ['x'] })).toEqual([])
    expect(await ids({ color: 'blue' })).toEqual(['u'])
    expect(await ids({ items: ['z'] })).toEqual(['u'])
    expect((await storage.getById(agentContext, TestRecord, 'u')).getTags()).toEqual({ color: 'blue', items: ['z'] })
  })

  test('delete and deleteById remove the record and its tags', async () => {
    await saveFixtures()
    await storage.delete(agentContext, await storage.getById(agentContext, TestRecord, 'a'))
    await storage.deleteById(agentContext, TestRecord, 'b')
    await expect(storage.getById(agentContext, TestRecord, 'a')).rejects.toBeInstanceOf(RecordNotFoundError)
    expect(await ids({ color: 'red' })).toEqual([])
    expect((await storage.getAll(agentContext, TestRecord)).map((r) => r.id)).toEqual(['c', 'd'])
  })

  test('getAll returns only records of the requested type, in insertion order', async () => {
    await saveFixtures()
    await otherStorage.save(agentContext, new OtherRecord({ id: 'o' }))
    expect((await storage.getAll(agentContext, TestRecord)).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd'])
    expect((await otherStorage.getAll(agentContext, OtherRecord)).map((r) => r.id)).toEqual(['o'])
  })

  describe('findByQuery', () => {
    beforeEach(saveFixtures)

    test('simple equality; several tags are ANDed', async () => {
      expect(await ids({ color: 'red' })).toEqual(['a', 'b'])
      expect(await ids({ color: 'red', size: 'small' })).toEqual(['a'])
      expect(await ids({ color: 'purple' })).toEqual([])
    })

    test('empty query matches all records of the type only', async () => {
      await otherStorage.save(agentContext, new OtherRecord({ id: 'o' }))
      expect(await ids({})).toEqual(['a', 'b', 'c', 'd'])
    })

    test('$and', async () => {
      expect(await ids({ $and: [{ color: 'red' }, { size: 'large' }] })).toEqual(['b'])
      expect(await ids({ $and: [] })).toEqual(['a', 'b', 'c', 'd'])
    })

    test('$or', async () => {
      expect(await ids({ $or: [{ color: 'blue' }, { size: 'large' }] })).toEqual(['b', 'c'])
      expect(await ids({ color: 'red', $or: [{ name: 'a' }, { name: 'c' }] })).toEqual(['a'])
      // Identity of OR: an empty list matches nothing (a caller mapping an empty key list gets nothing).
      expect(await ids({ $or: [] })).toEqual([])
    })

    test('$not also matches records without the tag', async () => {
      expect(await ids({ $not: { color: 'red' } })).toEqual(['c', 'd'])
      expect(await ids({ $not: { size: 'small' } })).toEqual(['b', 'd'])
    })

    test('nested $and / $or / $not', async () => {
      expect(
        await ids({
          $and: [{ $or: [{ color: 'red' }, { color: 'blue' }] }, { $not: { $or: [{ name: 'a' }, { name: 'c' }] } }],
        }),
      ).toEqual(['b'])
      expect(
        await ids({
          $or: [
            { $and: [{ color: 'red' }, { flag: false }] },
            { $not: { $or: [{ color: 'red' }, { color: 'blue' }] } },
          ],
        }),
      ).toEqual(['b', 'd'])
    })

    test('array tags match when the array contains all given values', async () => {
      expect(await ids({ items: ['x'] })).toEqual(['a', 'c'])
      expect(await ids({ items: ['y'] })).toEqual(['a', 'b'])
      expect(await ids({ items: ['x', 'y'] })).toEqual(['a'])
      expect(await ids({ items: ['x', 'z'] })).toEqual([])
    })

    test('boolean tags, and the strings "1"/"0" are not confused with booleans', async () => {
      expect(await ids({ flag: true })).toEqual(['a'])
      expect(await ids({ flag: false })).toEqual(['b'])
      expect(await ids({ numeric: '1' })).toEqual(['c'])
      expect(await ids({ numeric: '0' })).toEqual(['d'])
      expect((await storage.getById(agentContext, TestRecord, 'c')).getTags().numeric).toBe('1')
      expect((await storage.getById(agentContext, TestRecord, 'a')).getTags().flag).toBe(true)
    })

    test('undefined and null query values add no condition; null tags are not stored', async () => {
      expect(await ids({ color: 'red', size: undefined })).toEqual(['a', 'b'])
      expect(await ids({ maybe: null })).toEqual(['a', 'b', 'c', 'd'])
      expect((await storage.getById(agentContext, TestRecord, 'd')).getTags()).not.toHaveProperty('maybe')
    })

    test('limit and offset page through results in insertion order', async () => {
      const page = async (limit?: number, offset?: number) =>
        (await storage.findByQuery(agentContext, TestRecord, {}, { limit, offset })).map((r) => r.id)
      expect(await page(2)).toEqual(['a', 'b'])
      expect(await page(2, 2)).toEqual(['c', 'd'])
      expect(await page(2, 3)).toEqual(['d'])
      expect(await page(undefined, 1)).toEqual(['b', 'c', 'd'])
      expect(await ids({ $not: { name: 'a' } }, { limit: 1, offset: 1 })).toEqual(['c'])
    })
  })

  test('a closed wallet gives a clear WalletError', async () => {
    await wallet.close()
    await expect(storage.getAll(agentContext, TestRecord)).rejects.toThrow(WalletError)
    await wallet.open(wallet.walletConfig!)
  })

  test('a wallet that is not a PortableWallet is rejected clearly', async () => {
    const foreignContext = { wallet: {} as Wallet } as unknown as AgentContext
    await expect(storage.getAll(foreignContext, TestRecord)).rejects.toThrow(CredoError)
    await expect(storage.getAll(foreignContext, TestRecord)).rejects.toThrow(/PortableWallet/)
  })

  test('concurrent saves and queries do not interfere', async () => {
    const records = Array.from(
      { length: 50 },
      (_, i) => new TestRecord({ id: `r${i}`, payload: `${i}`, tags: { color: i % 2 ? 'odd' : 'even' } }),
    )
    await Promise.all(records.map((record) => storage.save(agentContext, record)))
    const [odd, even] = await Promise.all([ids({ color: 'odd' }), ids({ color: 'even' })])
    expect(odd).toHaveLength(25)
    expect(even).toHaveLength(25)
  })
})
