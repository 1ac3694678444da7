import type {
  AgentContext,
  BaseRecord,
  BaseRecordConstructor,
  Query,
  QueryOptions,
  StorageService,
} from '@credo-ts/core'
import type { StoreKeys } from '../crypto/StoreKeys'
import type { StoredRecordRow } from './WalletDatabase'

import { JsonTransformer, RecordDuplicateError, RecordNotFoundError, WalletError, injectable } from '@credo-ts/core'

import { LookupDomain } from '../crypto/StoreKeys'
import { assertPortableWallet } from '../wallet/assertPortableWallet'
import { decodeTags, encodeTags } from './askarTagEncoding'
import { compileTagQuery } from './compileTagQuery'

/** What is encrypted in `records.value`: the record JSON and its encoded tags (for reading back). */
interface RecordPlaintext {
  value: Record<string, unknown>
  tags: Record<string, string | undefined>
}

/**
 * Credo `StorageService` over the SQLite file of the agent context's `PortableWallet`.
 *
 * The wallet owns the connection and the keys; this service is stateless and resolves them
 * from `agentContext.wallet` on every call, so it works for any number of contexts.
 */
@injectable()
export class SqliteStorageService<T extends BaseRecord> implements StorageService<T> {
  public async save(agentContext: AgentContext, record: T): Promise<void> {
    record.updatedAt = new Date()
    const { database, keys } = this.openStore(agentContext)
    const { category, name, value, tags } = this.encryptRecord(keys, record)
    if (!database.insertRecord(category, name, value, tags)) {
      throw new RecordDuplicateError(`Record with id ${record.id} already exists`, { recordType: record.type })
    }
  }

  public async update(agentContext: AgentContext, record: T): Promise<void> {
    record.updatedAt = new Date()
    const { database, keys } = this.openStore(agentContext)
    const { category, name, value, tags } = this.encryptRecord(keys, record)
    if (!database.replaceRecord(category, name, value, tags)) {
      throw new RecordNotFoundError(`record with id ${record.id} not found.`, { recordType: record.type })
    }
  }

  public async delete(agentContext: AgentContext, record: T): Promise<void> {
    await this.deleteByTypeAndId(agentContext, record.type, record.id)
  }

  public async deleteById(
    agentContext: AgentContext,
    recordClass: BaseRecordConstructor<T>,
    id: string,
  ): Promise<void> {
    await this.deleteByTypeAndId(agentContext, recordClass.type, id)
  }

  public async getById(agentContext: AgentContext, recordClass: BaseRecordConstructor<T>, id: string): Promise<T> {
    const { database, keys } = this.openStore(agentContext)
    const row = database.getRecord(
      keys.lookupMac(LookupDomain.Category, recordClass.type),
      keys.lookupMac(LookupDomain.RecordName, id),
    )
    if (!row) throw new RecordNotFoundError(`record with id ${id} not found.`, { recordType: recordClass.type })
    return this.decryptRecord(keys, row, recordClass)
  }

  public async getAll(agentContext: AgentContext, recordClass: BaseRecordConstructor<T>): Promise<T[]> {
    const { database, keys } = this.openStore(agentContext)
    const rows = database.getAllRecords(keys.lookupMac(LookupDomain.Category, recordClass.type))
    return rows.map((row) => this.decryptRecord(keys, row, recordClass))
  }

  public async findByQuery(
    agentContext: AgentContext,
    recordClass: BaseRecordConstructor<T>,
    query: Query<T>,
    queryOptions?: QueryOptions,
  ): Promise<T[]> {
    const { database, keys } = this.openStore(agentContext)
    const condition = compileTagQuery(query, (tagName, tagValue) => keys.tagMac(tagName, tagValue))
    const rows = database.queryRecords(
      keys.lookupMac(LookupDomain.Category, recordClass.type),
      condition,
      queryOptions?.limit,
      queryOptions?.offset,
    )
    return rows.map((row) => this.decryptRecord(keys, row, recordClass))
  }

  private async deleteByTypeAndId(agentContext: AgentContext, type: string, id: string): Promise<void> {
    const { database, keys } = this.openStore(agentContext)
    const deleted = database.deleteRecord(
      keys.lookupMac(LookupDomain.Category, type),
      keys.lookupMac(LookupDomain.RecordName, id),
    )
    if (!deleted) throw new RecordNotFoundError(`record with id ${id} not found.`, { recordType: type })
  }

  private openStore(agentContext: AgentContext) {
    const wallet = agentContext.wallet
    assertPortableWallet(wallet)
    return wallet.openStore
  }

  private encryptRecord(keys: StoreKeys, record: T) {
    const category = keys.lookupMac(LookupDomain.Category, record.type)
    const name = keys.lookupMac(LookupDomain.RecordName, record.id)
    const encodedTags = encodeTags(record.getTags())
    const plaintext: RecordPlaintext = { value: JsonTransformer.toJSON(record), tags: encodedTags }
    const tags: Uint8Array[] = []
    for (const [tagName, tagValue] of Object.entries(encodedTags)) {
      if (tagValue !== undefined) tags.push(keys.tagMac(tagName, tagValue))
    }
    const value = keys.sealRecordValue(Buffer.from(JSON.stringify(plaintext), 'utf8'), rowBinding(category, name))
    return { category, name, value, tags }
  }

  private decryptRecord(keys: StoreKeys, row: StoredRecordRow, recordClass: BaseRecordConstructor<T>): T {
    let plaintext: RecordPlaintext
    try {
      const bytes = keys.openRecordValue(row.value, rowBinding(row.category, row.name))
      plaintext = JSON.parse(Buffer.from(bytes).toString('utf8'))
    } catch (error) {
      throw new WalletError(`Could not decrypt a ${recordClass.type} record: the wallet file is corrupt`, {
        cause: error as Error,
      })
    }
    // No class-validator pass: the value is authenticated by the AEAD as one this store wrote
    // from a record instance, and validating on every read was a sixth of the proxy's CPU.
    const instance = JsonTransformer.fromJSON(plaintext.value, recordClass, { validate: false })
    instance.replaceTags(decodeTags(plaintext.tags ?? {}) as Parameters<T['replaceTags']>[0])
    return instance
  }
}

/** Associated data binding a record ciphertext to its (type, id) row, so rows can't be swapped. */
function rowBinding(category: Uint8Array, name: Uint8Array): Uint8Array {
  const binding = new Uint8Array(category.length + name.length)
  binding.set(category)
  binding.set(name, category.length)
  return binding
}
