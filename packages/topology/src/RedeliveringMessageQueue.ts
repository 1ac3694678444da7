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
 */
export class RedeliveringMessageQueue implements MessagePickupRepository {
  private messages: StoredMessage[] = []
  private readonly visibilityTimeoutMs: number
  private readonly filePath?: string

  public constructor(options: RedeliveringMessageQueueOptions = {}) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 3000
    this.filePath = options.filePath
    if (this.filePath) {
      try {
        this.messages = JSON.parse(readFileSync(this.filePath, 'utf8'))
      } catch {
        this.messages = []
      }
    }
  }

  /** Every message still held, acknowledged or not; for tests and the demo's summary. */
  public get size(): number {
    return this.messages.length
  }

  public getAvailableMessageCount(options: GetAvailableMessageCountOptions): number {
    return this.available(options.connectionId, options.recipientDid).length
  }

  public takeFromQueue(options: TakeFromQueueOptions): QueuedMessage[] {
    const taken = this.available(options.connectionId, options.recipientDid).slice(0, options.limit ?? undefined)
    const now = Date.now()
    for (const message of taken) message.takenAt = now
    if (options.deleteMessages) {
      const ids = new Set(taken.map((message) => message.id))
      this.messages = this.messages.filter((message) => !ids.has(message.id))
    }
    this.persist()
    return taken.map(({ id, encryptedMessage, receivedAt }) => ({ id, encryptedMessage, receivedAt }))
  }

  public addMessage(options: AddMessageOptions): string {
    const id = utils.uuid()
    this.messages.push({
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
    const ids = new Set(options.messageIds)
    this.messages = this.messages.filter((message) => message.connectionId !== options.connectionId || !ids.has(message.id))
    this.persist()
  }

  private available(connectionId: string, recipientDid?: string): StoredMessage[] {
    const visibleBefore = Date.now() - this.visibilityTimeoutMs
    return this.messages.filter(
      (message) =>
        message.connectionId === connectionId &&
        (message.takenAt === undefined || message.takenAt < visibleBefore) &&
        (recipientDid === undefined || message.recipientDids.includes(recipientDid)),
    )
  }

  private persist(): void {
    if (this.filePath) writeFileSync(this.filePath, JSON.stringify(this.messages))
  }
}
