/**
 * Acknowledgements wait this long for company, so a burst of relays costs one messages-received
 * (and one status back, and often a delivery-request): measured, 5 ms meant one per few relays.
 */
const ACK_BATCH_WINDOW_MS = 25
const ACK_BATCH_MAX = 100

/**
 * The acknowledgements of one external mediator's picked-up messages, gathered into batches and
 * written one batch at a time, in order. `write` must not throw: an acknowledgement that is lost
 * only means the mediator offers the message again, and a message relayed already is then
 * acknowledged again without a second relay.
 */
export class AcknowledgementBatch {
  private pending: string[] = []
  private timer?: NodeJS.Timeout
  private writing: Promise<void> = Promise.resolve()

  public constructor(private readonly write: (messageIds: string[]) => Promise<unknown>) {}

  public add(messageId: string): void {
    this.pending.push(messageId)
    if (this.pending.length >= ACK_BATCH_MAX) void this.flush()
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), ACK_BATCH_WINDOW_MS)
  }

  /** Writes what is pending now; resolves once every batch before it and this one are written. */
  public flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const messageIds = this.pending
    this.pending = []
    if (messageIds.length > 0) {
      this.writing = this.writing.then(async () => {
        await this.write(messageIds)
      })
    }
    return this.writing
  }
}
