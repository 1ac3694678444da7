import type { OutboundMessage } from './OutboundMessage'

/**
 * ACA-Py's undelivered queue (`acapy_agent/transport/inbound/delivery_queue.py`), which exists only
 * with `--enable-undelivered-queue` and lives in the process's memory: a message that found no open
 * session waits here, by recipient key, until an inbound message on a session for that key lets one
 * out (`InboundTransportManager.process_undelivered`). No acknowledgement: what leaves is gone.
 */
export class DeliveryQueue {
  private readonly byKey = new Map<string, OutboundMessage[]>()

  /** `add_message`: kept once per key, for the target's recipient keys and the reply key. */
  public add(message: OutboundMessage): void {
    const keys = new Set([
      ...(message.target?.recipientKeys ?? []),
      ...(message.replyToVerkey ? [message.replyToVerkey] : []),
    ])
    for (const key of keys) {
      const queued = this.byKey.get(key) ?? []
      queued.push(message)
      this.byKey.set(key, queued)
    }
  }

  public countFor(key: string): number {
    return this.byKey.get(key)?.length ?? 0
  }

  /** `inspect_all_messages_for_key`: without taking them. */
  public messagesFor(key: string): OutboundMessage[] {
    return [...(this.byKey.get(key) ?? [])]
  }

  /** `remove_message_for_key` */
  public remove(key: string, message: OutboundMessage): void {
    const queued = this.byKey.get(key)
    if (!queued) return
    const index = queued.indexOf(message)
    if (index >= 0) queued.splice(index, 1)
    if (queued.length === 0) this.byKey.delete(key)
  }

  /** The pickup plugin's `remove_message_by_tag_list`: removal by the envelope's `tag`. */
  public removeByTags(key: string, tags: Set<string>): void {
    const queued = this.byKey.get(key)
    if (!queued) return
    const kept = queued.filter((message) => !message.encPayload || !tags.has(envelopeTag(message.encPayload)))
    if (kept.length === 0) this.byKey.delete(key)
    else this.byKey.set(key, kept)
  }

  public get size(): number {
    let total = 0
    for (const queued of this.byKey.values()) total += queued.length
    return total
  }

  public clear(): void {
    this.byKey.clear()
  }
}

/** The plugin names a queued message by its envelope's `tag` (`acapy_plugin_pickup/v2_0/delivery.py`). */
export function envelopeTag(encPayload: string): string {
  return String((JSON.parse(encPayload) as { tag?: unknown }).tag)
}
