/**
 * Capped exponential backoff with full jitter: a delay drawn uniformly from
 * [base/2, min(cap, base * 2^attempt)]. Jitter keeps many proxies (or many parked messages)
 * from retrying in lockstep after a shared outage; the floor keeps retries from spinning.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30))
  const floor = Math.min(baseMs / 2, ceiling)
  return Math.round(floor + random() * (ceiling - floor))
}
