/** Percentile by linear interpolation between closest ranks (the "R-7" definition, as numpy's default). */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN
  if (p <= 0) return sortedAscending[0]
  if (p >= 100) return sortedAscending[sortedAscending.length - 1]
  const rank = (p / 100) * (sortedAscending.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  return sortedAscending[low] + (sortedAscending[high] - sortedAscending[low]) * (rank - low)
}

export interface LatencySummary {
  count: number
  p50: number
  p95: number
  p99: number
  max: number
  mean: number
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b)
  const mean = sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : Number.NaN
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean,
  }
}

/** Messages per second over a span in milliseconds. */
export function rate(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : Number.NaN
}

/** numerator / denominator, NaN when the denominator is not a positive number. */
export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 && Number.isFinite(numerator) ? numerator / denominator : Number.NaN
}

/** Largest relative deviation of `values` from `baseline`, e.g. 0.08 for 8 %. */
export function maxRelativeDeviation(values: readonly number[], baseline: number): number {
  if (!(baseline > 0) || values.length === 0) return Number.NaN
  return Math.max(...values.map((value) => Math.abs(value - baseline) / baseline))
}

export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/** Least-squares slope of y over x (e.g. MB of RSS per message); NaN with fewer than 2 points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  if (points.length < 2) return Number.NaN
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length
  let numerator = 0
  let denominator = 0
  for (const point of points) {
    numerator += (point.x - meanX) * (point.y - meanY)
    denominator += (point.x - meanX) ** 2
  }
  return denominator > 0 ? numerator / denominator : Number.NaN
}
