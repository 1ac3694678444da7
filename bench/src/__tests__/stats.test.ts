import { maxRelativeDeviation, percentile, rate, ratio, round, slope, summarize } from '../stats'

describe('bench statistics', () => {
  it('interpolates percentiles between closest ranks', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    expect(percentile(sorted, 50)).toBeCloseTo(5.5)
    expect(percentile(sorted, 0)).toBe(1)
    expect(percentile(sorted, 100)).toBe(10)
    expect(percentile(sorted, 90)).toBeCloseTo(9.1)
    expect(percentile([42], 99)).toBe(42)
    expect(percentile([], 50)).toBeNaN()
  })

  it('summarizes unsorted samples', () => {
    const samples = Array.from({ length: 101 }, (_, index) => 100 - index)
    const summary = summarize(samples)
    expect(summary.count).toBe(101)
    expect(summary.p50).toBe(50)
    expect(summary.p95).toBe(95)
    expect(summary.p99).toBe(99)
    expect(summary.max).toBe(100)
    expect(summary.mean).toBe(50)
    // The input is not sorted in place.
    expect(samples[0]).toBe(100)
  })

  it('computes rates and ratios, NaN when undefined', () => {
    expect(rate(10_000, 4_000)).toBe(2_500)
    expect(rate(10, 0)).toBeNaN()
    expect(ratio(1_500, 3_000)).toBe(0.5)
    expect(ratio(1, 0)).toBeNaN()
    expect(ratio(Number.NaN, 2)).toBeNaN()
  })

  it('measures the largest deviation from a baseline', () => {
    expect(maxRelativeDeviation([100, 105, 92], 100)).toBeCloseTo(0.08)
    expect(maxRelativeDeviation([], 100)).toBeNaN()
    expect(round(1.2345, 2)).toBe(1.23)
  })

  it('fits a least-squares slope', () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2)
    expect(slope([{ x: 0, y: 1 }])).toBeNaN()
  })
})
