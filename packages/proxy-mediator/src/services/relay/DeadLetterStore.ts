import { createHash } from 'node:crypto'
import { type AgentContext, injectable } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { DeadLetterRecord, type DeadLetterRecordProps } from '../../repository/DeadLetterRecord'
import { DeadLetterRepository } from '../../repository/DeadLetterRepository'

/** What an operator sees of a dead letter: never its content. */
export interface DeadLetterSummary {
  id: string
  at: string
  reason: string
  /** The key the forward named, when the proxy could read that far. */
  recipientKey?: string
  /** The size of the envelope as it came, in bytes of its JSON. */
  envelopeBytes?: number
  /** SHA-256 of the envelope's JSON (base64url), when it was too large to keep whole. */
  envelopeDigest?: string
  /** Whether its envelope is kept whole, so that it can be relayed again. */
  replayable: boolean
}

/** A dead letter with what it kept of its envelope, to relay it again. */
export interface DeadLetter extends DeadLetterSummary {
  /** The envelope as it came; absent when it was larger than the store keeps whole. */
  envelope?: unknown
}

/** Which dead letters to read: the newest first, from after `before`. */
export interface DeadLetterQuery {
  /** The most dead letters in the page, a whole number of at least 1 (else a RangeError). @default 100 */
  limit?: number
  /** The `next` of the previous page. */
  before?: string
}

export interface DeadLetterPage {
  deadLetters: DeadLetterSummary[]
  /** Pass as `before` for the next page; absent on the last one. */
  next?: string
}

/**
 * What the store knows of each dead letter without reading it: enough to prune, to page and to
 * find an agent's. Its reason is bounded, so that the index is bounded by the retention.
 */
interface IndexEntry extends DeadLetterSummary {
  createdAt: number
  bytes: number
}

const DEFAULT_PAGE_LIMIT = 100
/** A reason can quote what a sender wrote (a key, an error): no longer than this. */
const MAX_REASON_CHARS = 512
/** What a record costs beyond its envelope: its id, dates, key and the store's own framing. */
const RECORD_OVERHEAD_BYTES = 256

/**
 * Keeps the newest dead letters in the proxy's encrypted store for an operator to inspect. It is a
 * side path: a failure to store one is logged and never reaches the relay that reported it.
 *
 * It is bounded three ways, since whoever can make the proxy dead-letter a message (an anonymous
 * sender, through the external mediator) decides how many and how large: an envelope larger than
 * `deadLetterEnvelopeMaxBytes` is kept as its size and digest only, and beyond
 * `deadLetterRetention` dead letters or `deadLetterStoreMaxBytes` bytes the oldest go. An index in
 * memory (id, date, size, reason, key) prunes and pages without reading the records.
 */
@injectable()
export class DeadLetterStore {
  private writes: Promise<void> = Promise.resolve()
  /** In (createdAt, id) order, oldest first; read from the store once. */
  private index?: Promise<IndexEntry[]>

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly repository: DeadLetterRepository,
  ) {}

  public keep(agentContext: AgentContext, props: DeadLetterRecordProps): void {
    if (this.config.deadLetterRetention === 0) return
    // Bounded now, so that a large envelope is not held while earlier writes finish.
    const bounded = this.bounded(props)
    // One write at a time keeps the index and the pruning consistent.
    this.writes = this.writes
      .then(() => this.save(agentContext, bounded))
      .catch((error) => {
        agentContext.config.logger.warn(`Could not keep a dead letter: ${(error as Error)?.message ?? String(error)}`)
      })
  }

  /** The newest first, paged by count; read from the index alone. */
  public async page(agentContext: AgentContext, query: DeadLetterQuery = {}): Promise<DeadLetterPage> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT
    // NaN would slip past any bound and page the whole index at once.
    if (!(Number.isInteger(limit) && limit >= 1)) {
      throw new RangeError(`limit must be a whole number of at least 1, got ${limit}`)
    }
    await this.writes
    const index = await this.indexOf(agentContext)
    const after = query.before === undefined ? undefined : parseCursor(query.before)
    // A cursor this store did not make names no place to go on from.
    if (query.before !== undefined && !after) return { deadLetters: [] }
    let start = index.length - 1
    if (after) while (start >= 0 && compareEntry(index[start], after) >= 0) start--
    const chosen = index.slice(Math.max(0, start - limit + 1), start + 1).reverse()
    const last = chosen.at(-1)
    const more = last !== undefined && start - chosen.length >= 0
    return { deadLetters: chosen.map(summaryOf), next: more ? cursorOf(last) : undefined }
  }

  /** One dead letter with what it kept of its envelope; undefined when there is none by that id. */
  public async get(agentContext: AgentContext, id: string): Promise<DeadLetter | undefined> {
    await this.writes
    const entry = (await this.indexOf(agentContext)).find((candidate) => candidate.id === id)
    if (!entry) return undefined
    const record = await this.repository.findById(agentContext, id)
    return record ? { ...summaryOf(entry), envelope: record.envelope } : undefined
  }

  /** The ids of the dead letters for these keys (all of them without `recipientKeys`), oldest first. */
  public async idsFor(agentContext: AgentContext, recipientKeys?: ReadonlySet<string>): Promise<string[]> {
    await this.writes
    const index = await this.indexOf(agentContext)
    return index
      .filter((entry) => !recipientKeys || (entry.recipientKey !== undefined && recipientKeys.has(entry.recipientKey)))
      .map((entry) => entry.id)
  }

  /** Deletes these dead letters; resolves with how many there were. */
  public remove(agentContext: AgentContext, ids: readonly string[]): Promise<number> {
    const removing = this.writes.then(async () => {
      const index = await this.indexOf(agentContext)
      const wanted = new Set(ids)
      let removed = 0
      for (let position = index.length - 1; position >= 0; position--) {
        if (!wanted.has(index[position].id)) continue
        await this.repository.deleteById(agentContext, index[position].id)
        index.splice(position, 1)
        removed++
      }
      return removed
    })
    // Later writes wait for it, and go on if it failed (the caller hears why).
    this.writes = removing.then(
      () => undefined,
      () => undefined,
    )
    return removing
  }

  /** An envelope over the per-envelope cap becomes its size and digest. */
  private bounded(props: DeadLetterRecordProps): DeadLetterRecordProps {
    const reason = props.reason.length > MAX_REASON_CHARS ? `${props.reason.slice(0, MAX_REASON_CHARS)}…` : props.reason
    if (props.envelope === undefined) return { ...props, reason }
    const json = JSON.stringify(props.envelope) ?? ''
    const envelopeBytes = Buffer.byteLength(json)
    if (envelopeBytes <= this.config.deadLetterEnvelopeMaxBytes) return { ...props, reason, envelopeBytes }
    return {
      reason,
      recipientKey: props.recipientKey,
      envelopeBytes,
      envelopeDigest: createHash('sha256').update(json).digest('base64url'),
    }
  }

  private async save(agentContext: AgentContext, props: DeadLetterRecordProps): Promise<void> {
    const index = await this.indexOf(agentContext)
    const record = new DeadLetterRecord(props)
    // Dates order the dead letters (and page them, after a restart too): a burst within one
    // millisecond is spread over the next ones rather than left in an arbitrary order.
    const newest = index.at(-1)
    if (newest && record.createdAt.getTime() <= newest.createdAt) record.createdAt = new Date(newest.createdAt + 1)
    await this.repository.save(agentContext, record)
    index.push(entryOf(record))
    let total = index.reduce((sum, entry) => sum + entry.bytes, 0)
    while (
      index.length > 0 &&
      (index.length > this.config.deadLetterRetention || total > this.config.deadLetterStoreMaxBytes)
    ) {
      const oldest = index.shift() as IndexEntry
      total -= oldest.bytes
      await this.repository.deleteById(agentContext, oldest.id)
    }
  }

  private indexOf(agentContext: AgentContext): Promise<IndexEntry[]> {
    if (!this.index) {
      const loading = this.repository.getAll(agentContext).then((records) => records.map(entryOf).sort(compareEntry))
      // A failed read is tried again by the next caller rather than remembered.
      loading.catch(() => {
        if (this.index === loading) this.index = undefined
      })
      this.index = loading
    }
    return this.index
  }
}

function entryOf(record: DeadLetterRecord): IndexEntry {
  const envelopeBytes =
    record.envelope === undefined ? 0 : (record.envelopeBytes ?? Buffer.byteLength(JSON.stringify(record.envelope)))
  return {
    id: record.id,
    at: record.createdAt.toISOString(),
    reason: record.reason,
    recipientKey: record.recipientKey,
    envelopeBytes: record.envelopeBytes,
    envelopeDigest: record.envelopeDigest,
    replayable: record.envelope !== undefined,
    createdAt: record.createdAt.getTime(),
    bytes: envelopeBytes + Buffer.byteLength(record.reason ?? '') + RECORD_OVERHEAD_BYTES,
  }
}

function summaryOf({ createdAt, bytes, ...summary }: IndexEntry): DeadLetterSummary {
  return summary
}

function compareEntry(a: Pick<IndexEntry, 'createdAt' | 'id'>, b: Pick<IndexEntry, 'createdAt' | 'id'>): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

function cursorOf(entry: IndexEntry): string {
  return `${entry.createdAt}.${entry.id}`
}

function parseCursor(cursor: string): Pick<IndexEntry, 'createdAt' | 'id'> | undefined {
  const separator = cursor.indexOf('.')
  const createdAt = Number(cursor.slice(0, separator))
  if (separator < 1 || !Number.isSafeInteger(createdAt)) return undefined
  return { createdAt, id: cursor.slice(separator + 1) }
}
