import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { RingBuffer } from './RingBuffer'

/** One step of the history: what happened during it, and what waited at its end. */
export interface HistorySample {
  /** When the step ended (ISO time). */
  at: string
  /** Messages relayed to an agent (2xx) during the step. */
  relayed: number
  /** Relay attempts that failed during the step (a message may fail several times). */
  failedAttempts: number
  /** Messages taken and not yet delivered at the end of the step (`counters.inFlight`). */
  backlog: number
}

export interface StatusHistoryOptions {
  /** The module's status; undefined while the proxy starts (no sample is taken then). */
  read: () => ProxyMediatorStatus | undefined
  /** @default 10 s */
  stepMs?: number
  /** How far back the history goes. @default 1 hour */
  spanMs?: number
  /** Told when a sample could not be taken, once until one succeeds again. */
  onError?: (error: unknown) => void
  now?: () => number
}

export const HISTORY_STEP_MS = 10_000
export const HISTORY_SPAN_MS = 60 * 60 * 1000

/**
 * The last hour of relayed messages, failed attempts and backlog, at 10 s steps, in memory: what
 * the operator's page draws at load time, so that a reload, or a page opened after the trouble
 * began, still shows it. A restart starts it afresh, as the module's counters do.
 *
 * It is a side path: a sample that cannot be taken is skipped, and never throws into its caller.
 */
export class StatusHistory {
  public readonly stepMs: number
  private readonly buffer: RingBuffer<HistorySample>
  private readonly now: () => number
  /** The module's counters at the previous sample; they count from the start of the process. */
  private previous = { relayed: 0, failedAttempts: 0 }
  private timer?: NodeJS.Timeout
  private failing = false

  public constructor(private readonly options: StatusHistoryOptions) {
    this.stepMs = options.stepMs ?? HISTORY_STEP_MS
    this.buffer = new RingBuffer(Math.max(1, Math.round((options.spanMs ?? HISTORY_SPAN_MS) / this.stepMs)))
    this.now = options.now ?? Date.now
  }

  /** How many steps it keeps: its span. */
  public get capacity(): number {
    return this.buffer.capacity
  }

  /** Every sample kept, oldest first. */
  public samples(): HistorySample[] {
    return this.buffer.toArray()
  }

  /** The newest sample, to tell whether anything changed since a page last drew it. */
  public latest(): HistorySample | undefined {
    return this.buffer.last()
  }

  /** Takes one sample now; never throws. */
  public sample(): void {
    try {
      const status = this.options.read()
      if (!status) return
      const { relayed, failedAttempts, inFlight } = status.counters
      this.buffer.push({
        at: new Date(this.now()).toISOString(),
        // A counter that went down was restarted in the process: count from its new start.
        relayed: Math.max(0, relayed - this.previous.relayed),
        failedAttempts: Math.max(0, failedAttempts - this.previous.failedAttempts),
        backlog: inFlight,
      })
      this.previous = { relayed, failedAttempts }
      this.failing = false
    } catch (error) {
      if (this.failing) return
      this.failing = true
      try {
        this.options.onError?.(error)
      } catch {
        // The report of a failed sample is a side path too.
      }
    }
  }

  /** Takes a sample now and then one every step, on a timer that does not keep the process up. */
  public start(): void {
    if (this.timer) return
    this.sample()
    this.timer = setInterval(() => this.sample(), this.stepMs)
    this.timer.unref()
  }

  public stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
