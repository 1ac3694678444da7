import type { Response } from 'express'

export interface StatusStreamsOptions {
  /** The most streams open at once, over all browsers: each one costs a render a second. */
  maxStreams: number
  /** How often each stream gets a snapshot, in milliseconds. */
  intervalMs: number
  /** Told when a snapshot could not be made (once, until one is made again); the stream skips the update. */
  onError?: (error: unknown) => void
}

/** One open stream: where to write, and what to write to it. */
export interface StatusStreamClient {
  /** The `data` of the next `status` event; undefined ends the stream (e.g. the session ended). */
  snapshot(): string | undefined
}

/**
 * The Server-Sent Event streams of the operator's page: a `status` event about once a second on
 * each, from one shared timer that runs only while a stream is open. Bounded in number, and all
 * closed at once when the runner drains, so that an open page never holds the shutdown up (the
 * HTTP server's close waits for every open response).
 */
export class StatusStreams {
  private readonly streams = new Map<Response, StatusStreamClient>()
  private timer?: NodeJS.Timeout
  private closed = false
  private snapshotFailing = false

  public constructor(private readonly options: StatusStreamsOptions) {}

  public get size(): number {
    return this.streams.size
  }

  /** Whether a stream can be opened now; the caller answers 429 (or 503 when closed) otherwise. */
  public hasRoom(): boolean {
    return !this.closed && this.streams.size < this.options.maxStreams
  }

  public open(res: Response, client: StatusStreamClient): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // A stream is never reused for another request, so ending it closes its socket too.
      connection: 'close',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    })
    // The browser's EventSource reconnects after this many milliseconds if the stream drops.
    res.write('retry: 5000\n\n')
    this.streams.set(res, client)
    // The response's close, not the request's: it fires when the browser goes away.
    res.on('close', () => this.remove(res))
    this.push(res, client)
    if (!this.timer) {
      this.timer = setInterval(() => this.pushAll(), this.options.intervalMs)
      this.timer.unref()
    }
  }

  /** Ends every stream with a `closing` event (the page says the proxy is stopping) and takes no more. */
  public closeAll(): void {
    this.closed = true
    for (const res of [...this.streams.keys()]) {
      this.end(res, 'shutdown')
    }
  }

  private pushAll(): void {
    for (const [res, client] of this.streams) this.push(res, client)
  }

  private push(res: Response, client: StatusStreamClient): void {
    // A client that does not read gets no more until it has: the buffer stays one snapshot.
    if (res.writableNeedDrain) return
    let data: string | undefined
    try {
      data = client.snapshot()
      this.snapshotFailing = false
    } catch (error) {
      // The timer runs beside message handling: a throw here would be an uncaught exception, and
      // end the process. The page skips an update instead.
      if (!this.snapshotFailing) {
        this.snapshotFailing = true
        try {
          this.options.onError?.(error)
        } catch {
          // Nothing more to do: see above.
        }
      }
      return
    }
    if (data === undefined) {
      this.end(res, 'signed-out')
      return
    }
    res.write(`event: status\ndata: ${data}\n\n`)
  }

  private end(res: Response, reason: 'shutdown' | 'signed-out'): void {
    res.end(`event: closing\ndata: ${JSON.stringify({ reason })}\n\n`)
    this.remove(res)
  }

  private remove(res: Response): void {
    this.streams.delete(res)
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}
