import { randomUUID } from 'node:crypto'
import type {
  AddMessageOptions,
  GetAvailableMessageCountOptions,
  MessagePickupRepository,
  QueuedMessage,
  RemoveMessagesOptions,
  TakeFromQueueOptions,
} from '@credo-ts/core'

interface Stored extends QueuedMessage {
  connectionId: string
  recipientDids: string[]
  takenAt?: number
}

/**
 * The external mediator's queue during the bench. Same semantics as the topology's
 * RedeliveringMessageQueue (a message handed out is offered again only after a visibility
 * timeout, and leaves on `messages-received`), but O(in-flight) per operation instead of
 * O(queue), so that 10,000 pre-queued messages do not make the driver the bottleneck. It also
 * tells the driver what was taken and acknowledged.
 */
export class BenchQueue implements MessagePickupRepository {
  private readonly messages = new Map<string, Stored>()
  private readonly taken = new Map<string, number>()
  private readonly countByConnection = new Map<string, number>()
  public acknowledged = 0
  public takenTotal = 0
  public onTake?: (ids: string[]) => void
  public onAcknowledge?: (count: number) => void

  public constructor(private readonly visibilityTimeoutMs = 30_000) {}

  public get size(): number {
    return this.messages.size
  }

  /** Handed out and not acknowledged yet (nor timed out). */
  public get inFlight(): number {
    return this.taken.size
  }

  public getAvailableMessageCount(options: GetAvailableMessageCountOptions): number {
    if (options.recipientDid === undefined) {
      let count = 0
      const visibleBefore = Date.now() - this.visibilityTimeoutMs
      for (const [id, takenAt] of this.taken) {
        if (takenAt >= visibleBefore && this.messages.get(id)?.connectionId === options.connectionId) count++
      }
      return (this.countByConnection.get(options.connectionId) ?? 0) - count
    }
    return this.available(options.connectionId, options.recipientDid, Number.POSITIVE_INFINITY).length
  }

  public takeFromQueue(options: TakeFromQueueOptions): QueuedMessage[] {
    const taken = this.available(options.connectionId, options.recipientDid, options.limit ?? Number.POSITIVE_INFINITY)
    const now = Date.now()
    for (const message of taken) {
      message.takenAt = now
      this.taken.set(message.id, now)
      if (options.deleteMessages) this.delete(message)
    }
    this.takenTotal += taken.length
    if (taken.length) this.onTake?.(taken.map((message) => message.id))
    return taken.map(({ id, encryptedMessage, receivedAt }) => ({ id, encryptedMessage, receivedAt }))
  }

  public addMessage(options: AddMessageOptions): string {
    const id = randomUUID()
    this.messages.set(id, {
      id,
      connectionId: options.connectionId,
      recipientDids: options.recipientDids,
      encryptedMessage: options.payload,
      receivedAt: new Date(),
    })
    this.countByConnection.set(options.connectionId, (this.countByConnection.get(options.connectionId) ?? 0) + 1)
    return id
  }

  public removeMessages(options: RemoveMessagesOptions): void {
    let removed = 0
    for (const id of options.messageIds) {
      const message = this.messages.get(id)
      if (message && message.connectionId === options.connectionId) {
        this.delete(message)
        removed++
      }
    }
    this.acknowledged += removed
    if (removed) this.onAcknowledge?.(removed)
  }

  private delete(message: Stored): void {
    this.messages.delete(message.id)
    this.taken.delete(message.id)
    this.countByConnection.set(message.connectionId, (this.countByConnection.get(message.connectionId) ?? 1) - 1)
  }

  /** FIFO; messages handed out stay at the front until acknowledged, so a scan skips only those. */
  private available(connectionId: string, recipientDid: string | undefined, limit: number): Stored[] {
    const visibleBefore = Date.now() - this.visibilityTimeoutMs
    const result: Stored[] = []
    for (const message of this.messages.values()) {
      if (result.length >= limit) break
      if (message.connectionId !== connectionId) continue
      if (message.takenAt !== undefined && message.takenAt >= visibleBefore) continue
      if (recipientDid !== undefined && !message.recipientDids.includes(recipientDid)) continue
      result.push(message)
    }
    return result
  }
}
