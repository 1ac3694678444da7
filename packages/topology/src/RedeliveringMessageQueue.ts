import { readFileSync, writeFileSync } from 'node:fs'
import type {
  AddMessageOptions,
  GetAvailableMessageCountOptions,
  MessagePickupRepository,
  QueuedMessage,
  RemoveMessagesOptions,
  TakeFromQueueOptions,
} from '@credo-ts/core'
import { utils } from '@credo-ts/core'

interface StoredMessage extends QueuedMessage {
  connectionId: string
  recipientDids: string[]
  /** When the message was last handed out; it is offered again once this is older than the visibility timeout. */
  takenAt?: number
}

export interface RedeliveringMessageQueueOptions {
  /** How long a message handed out but not acknowledged stays invisible. @default 3000 */
  visibilityTimeoutMs?: number
  /** Keep the queue in this JSON file so that it survives a mediator restart. */
  filePath?: string
}

/**
 * The external mediator's queue in the topology. Credo's in-memory queue marks a message as
 * "sending" when it is handed out and never offers it again if the recipient does not
 * acknowledge it, so a recipient that acknowledges only after a successful relay would strand
 * messages. Production queues (SQS-like, or ACA-Py's) re-offer unacknowledged messages after a
 * visibility timeout; this queue does the same, which is the behaviour at-least-once needs.
 * Operations cost O(messages handed out), not O(queue), so that the benchmark's driver, which
 * pre-queues thousands of messages, is never the bottleneck.
 */
export class RedeliveringMessageQueue implements MessagePickupRepository {
  /** In insertion order: oldest first, so the messages handed out are the ones at the front. */
  private readonly messages = new Map<string, StoredMessage>()
  private readonly taken = new Set<string>()
  /** Messages held per connection, and per connection and recipient DID: counts without a scan. */
  private readonly countByConnection = new Map<string, number>()
  private readonly countByRecipient = new Map<string, number>()
  private readonly visibilityTimeoutMs: number
  private readonly filePath?: string
  /** Messages acknowledged since the queue was made. */
  public acknowledged = 0
  /** Called with the ids handed out by each take, and the count removed by each acknowledgement (the bench's driver). */
  public onTake?: (ids: string[]) => void
  public onAcknowledge?: (count: number) => void

  public constructor(options: RedeliveringMessageQueueOptions = {}) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 3000
    this.filePath = options.filePath
    if (this.filePath) {
      let saved: StoredMessage[] = []
      try {
        saved = JSON.parse(readFileSync(this.filePath, 'utf8'))
      } catch {
        saved = []
      }
      for (const message of saved) {
        this.insert(message)
        if (message.takenAt !== undefined) this.taken.add(message.id)
      }
    }
  }

  /** Every message still held, acknowledged or not. */
  public get size(): number {
    return this.messages.size
  }

  /** Messages handed out and not yet acknowledged (visible again or not). */
  public get inFlight(): number {
    return this.taken.size
  }

  /**
   * Every held message of the connection (and recipient) but those handed out and still
   * invisible: Credo asks for it on every acknowledgement, so it scans only the handed-out ones.
   */
  public getAvailableMessageCount(options: GetAvailableMessageCountOptions): number {
    const { connectionId, recipientDid } = options
    const held =
      recipientDid === undefined
        ? (this.countByConnection.get(connectionId) ?? 0)
        : (this.countByRecipient.get(recipientKey(connectionId, recipientDid)) ?? 0)
    const visibleBefore = Date.now() - this.visibilityTimeoutMs
    let invisible = 0
    for (const id of this.taken) {
      const message = this.messages.get(id)
      if (!message || message.connectionId !== connectionId) continue
      if (recipientDid !== undefined && !message.recipientDids.includes(recipientDid)) continue
      if (message.takenAt !== undefined && message.takenAt >= visibleBefore) invisible++
    }
    return held - invisible
  }

  public takeFromQueue(options: TakeFromQueueOptions): QueuedMessage[] {
    const taken = this.available(options.connectionId, options.recipientDid, options.limit ?? Number.POSITIVE_INFINITY)
    const now = Date.now()
    for (const message of taken) {
      message.takenAt = now
      if (options.deleteMessages) this.delete(message)
      else this.taken.add(message.id)
    }
    this.persist()
    if (taken.length) this.onTake?.(taken.map((message) => message.id))
    return taken.map(({ id, encryptedMessage, receivedAt }) => ({ id, encryptedMessage, receivedAt }))
  }

  public addMessage(options: AddMessageOptions): string {
    const id = utils.uuid()
    this.insert({
      id,
      connectionId: options.connectionId,
      recipientDids: options.recipientDids,
      encryptedMessage: options.payload,
      receivedAt: new Date(),
    })
    this.persist()
    return id
  }

  public removeMessages(options: RemoveMessagesOptions): void {
    let removed = 0
    for (const id of options.messageIds) {
      const message = this.messages.get(id)
      if (message?.connectionId !== options.connectionId) continue
      this.delete(message)
      removed++
    }
    this.acknowledged += removed
    this.persist()
    if (removed) this.onAcknowledge?.(removed)
  }

  private insert(message: StoredMessage): void {
    this.messages.set(message.id, message)
    this.count(message, +1)
  }

  private delete(message: StoredMessage): void {
    this.messages.delete(message.id)
    this.taken.delete(message.id)
    this.count(message, -1)
  }

  private count(message: StoredMessage, change: 1 | -1): void {
    const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + change)
    bump(this.countByConnection, message.connectionId)
    for (const did of new Set(message.recipientDids))
      bump(this.countByRecipient, recipientKey(message.connectionId, did))
  }

  /**
   * Oldest first. A scan passes over the handed-out messages at the front (invisible until
   * their timeout) and stops at the limit, so it costs the in-flight count plus the limit.
   */
  private available(connectionId: string, recipientDid: string | undefined, limit: number): StoredMessage[] {
    if ((this.countByConnection.get(connectionId) ?? 0) === 0) return []
    const visibleBefore = Date.now() - this.visibilityTimeoutMs
    const result: StoredMessage[] = []
    for (const message of this.messages.values()) {
      if (result.length >= limit) break
      if (message.connectionId !== connectionId) continue
      if (message.takenAt !== undefined && message.takenAt >= visibleBefore) continue
      if (recipientDid !== undefined && !message.recipientDids.includes(recipientDid)) continue
      result.push(message)
    }
    return result
  }

  private persist(): void {
    if (this.filePath) writeFileSync(this.filePath, JSON.stringify([...this.messages.values()]))
  }
}

function recipientKey(connectionId: string, recipientDid: string): string {
  return `${connectionId} ${recipientDid}`
}
