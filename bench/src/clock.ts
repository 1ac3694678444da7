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

/** Resolves once `check()` is true; rejects after `timeoutMs`, naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, stepMs = 20) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(stepMs)
  }
}

export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
}
