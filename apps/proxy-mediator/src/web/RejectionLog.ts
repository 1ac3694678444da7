import type { Logger } from '@credo-ts/core'

const WINDOW_MS = 60_000

/**
 * Logs requests refused for their input without letting a flood of them flood the log: the first
 * refusal of each reason in a minute is one line (no stack), the rest are counted and summed up in
 * one line when the minute ends ("rejected 9,000 requests in the last minute: 7,450
 * bad_envelope, ..."). The counter per reason in /metrics sees every one.
 */
export class RejectionLog {
  private counts = new Map<string, number>()
  private timer?: NodeJS.Timeout

  public constructor(
    private readonly logger: Logger,
    private readonly windowMs = WINDOW_MS,
  ) {}

  public record(reason: string, line: string): void {
    const seen = this.counts.get(reason) ?? 0
    this.counts.set(reason, seen + 1)
    if (seen === 0) this.logger.warn(line)
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowMs)
      this.timer.unref()
    }
  }

  /** Writes the summary of the window, if more was refused than was logged line by line. */
  public flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const counts = [...this.counts.entries()]
    this.counts = new Map()
    const total = counts.reduce((sum, [, count]) => sum + count, 0)
    if (total <= counts.length) return
    const byReason = counts
      .sort(([, a], [, b]) => b - a)
      .map(([reason, count]) => `${count.toLocaleString('en')} ${reason}`)
      .join(', ')
    try {
      this.logger.warn(`Rejected ${total.toLocaleString('en')} requests in the last minute: ${byReason}`)
    } catch {
      // Called from a timer: a logger that throws must not end the process.
    }
  }
}
