import { type AgentContext, RecordNotFoundError } from '@credo-ts/core'

type Query = Record<string, unknown>

/** What the map needs of a Credo record (any `BaseRecord`, whatever its metadata). */
interface StoredRecord {
  id: string
  getTags(): object
}

/**
 * A Credo repository in a map, for unit tests where the store is not what is tested: the real
 * records, found by their own tags as Credo's storage finds them (a tag equal to the value asked;
 * an array tag holding every value asked). Cast it to the repository the code under test takes.
 */
export class InMemoryRepository<T extends StoredRecord> {
  public readonly records = new Map<string, T>()

  public get all(): T[] {
    return [...this.records.values()]
  }

  public async save(_agentContext: AgentContext, record: T): Promise<void> {
    this.records.set(record.id, record)
  }

  public async update(_agentContext: AgentContext, record: T): Promise<void> {
    this.records.set(record.id, record)
  }

  public async delete(_agentContext: AgentContext, record: T): Promise<void> {
    this.records.delete(record.id)
  }

  public async deleteById(_agentContext: AgentContext, id: string): Promise<void> {
    this.records.delete(id)
  }

  public async findById(_agentContext: AgentContext, id: string): Promise<T | null> {
    return this.records.get(id) ?? null
  }

  public async getById(_agentContext: AgentContext, id: string): Promise<T> {
    const record = this.records.get(id)
    if (!record) throw new RecordNotFoundError(`record ${id} not found`, { recordType: 'test' })
    return record
  }

  public async getAll(): Promise<T[]> {
    return this.all
  }

  public async findByQuery(_agentContext: AgentContext, query: Query): Promise<T[]> {
    return this.all.filter((record) => matches(record.getTags() as Query, query))
  }

  public async findSingleByQuery(agentContext: AgentContext, query: Query): Promise<T | null> {
    const [first] = await this.findByQuery(agentContext, query)
    return first ?? null
  }
}

function matches(tags: Query, query: Query): boolean {
  return Object.entries(query).every(([name, wanted]) => {
    if (wanted === undefined) return true
    const value = tags[name]
    if (Array.isArray(wanted)) return Array.isArray(value) && wanted.every((item) => value.includes(item))
    return value === wanted
  })
}
