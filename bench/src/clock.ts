/**
 * Milliseconds on CLOCK_MONOTONIC. `process.hrtime` reads the system-wide monotonic clock, so
 * timestamps taken in the bench, the sink and the proxy processes are directly comparable.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
}
