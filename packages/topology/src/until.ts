/**
 * Resolves once `check()` holds, polling every `stepMs`; rejects after `timeoutMs`, naming `what`.
 * For a condition that takes a request to read (a status route, a role's IPC answer); a count
 * already at hand has `waitFor`.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  stepMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
}
