import { createHash } from 'node:crypto'
import { type AgentContext, injectable } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { type DeadLetterRecordProps, DeadLetterRecord } from '../repository/DeadLetterRecord'
import { DeadLetterRepository } from '../repository/DeadLetterRepository'

export interface DeadLetter {
  id: string
  at: string
  reason: string
  recipientKey?: string
  /** The envelope as it came; absent when it was larger than the store keeps whole. */
  envelope?: unknown
  /** The size of the envelope as it came, in bytes of its JSON. */
  envelopeBytes?: number
  /** SHA-256 of the envelope's JSON (base64url), when it was too large to keep whole. */
  envelopeDigest?: string
}

/** Which dead letters to read: the newest first, from after `before`, as many as fit both bounds. */
export interface DeadLetterQuery {
  /** The most dead letters in the page. @default 100 */
  limit?: number
  /** The most bytes of kept envelopes and reasons in the page; at least one dead letter is always given. @default 1 MiB */
  maxBytes?: number
  /** The `next` of the previous page. */
  before?: string
}

export interface DeadLetterPage {
  deadLetters: DeadLetter[]
  /** Pass as `before` for the next page; absent on the last one. */
  next?: string
}

/** What the store knows of each dead letter without reading it: enough to prune and to page. */
interface IndexEntry {
  id: string
  createdAt: number
  bytes: number
}

const DEFAULT_PAGE_LIMIT = 100
const DEFAULT_PAGE_MAX_BYTES = 1024 * 1024
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
 * memory (id, date, size) prunes and pages without reading the records.
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

  /** The newest first, paged by count and by bytes. */
  public async page(agentContext: AgentContext, query: DeadLetterQuery = {}): Promise<DeadLetterPage> {
    await this.writes
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT
    const maxBytes = query.maxBytes ?? DEFAULT_PAGE_MAX_BYTES
    const index = await this.indexOf(agentContext)
    const after = query.before === undefined ? undefined : parseCursor(query.before)
    // A cursor this store did not make names no place to go on from.
    if (query.before !== undefined && !after) return { deadLetters: [] }
    let start = index.length - 1
    if (after) while (start >= 0 && compareEntry(index[start], after) >= 0) start--
    const chosen: IndexEntry[] = []
    let bytes = 0
    for (let position = start; position >= 0 && chosen.length < limit; position--) {
      const entry = index[position]
      if (chosen.length > 0 && bytes + entry.bytes > maxBytes) break
      chosen.push(entry)
      bytes += entry.bytes
    }
    const records = await Promise.all(chosen.map((entry) => this.repository.findById(agentContext, entry.id)))
    const deadLetters = records.filter((record): record is DeadLetterRecord => record !== null).map(toDeadLetter)
    const last = chosen.at(-1)
    const more = last !== undefined && index.indexOf(last) > 0
    return { deadLetters, next: more ? cursorOf(last) : undefined }
  }

  /** An envelope over the per-envelope cap becomes its size and digest. */
  private bounded(props: DeadLetterRecordProps): DeadLetterRecordProps {
    if (props.envelope === undefined) return props
    const json = JSON.stringify(props.envelope) ?? ''
    const envelopeBytes = Buffer.byteLength(json)
    if (envelopeBytes <= this.config.deadLetterEnvelopeMaxBytes) return { ...props, envelopeBytes }
    return {
      reason: props.reason,
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
    createdAt: record.createdAt.getTime(),
    bytes: envelopeBytes + Buffer.byteLength(record.reason ?? '') + RECORD_OVERHEAD_BYTES,
  }
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

function toDeadLetter(record: DeadLetterRecord): DeadLetter {
  return {
    id: record.id,
    at: record.createdAt.toISOString(),
    reason: record.reason,
    recipientKey: record.recipientKey,
    envelope: record.envelope,
    envelopeBytes: record.envelopeBytes,
    envelopeDigest: record.envelopeDigest,
  }
}
