import { backoffDelay } from '../backoff'

describe('backoffDelay', () => {
  it('doubles from the base up to the cap', () => {
    const highest = (attempt: number) => backoffDelay(attempt, 100, 5_000, () => 1)
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(highest)).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000])
  })

  it('draws the jitter between half the base and the ceiling', () => {
    expect(backoffDelay(5, 100, 5_000, () => 0)).toBe(50)
    expect(backoffDelay(5, 100, 5_000, () => 0.5)).toBe(Math.round(50 + 0.5 * (3200 - 50)))
  })

  it('stays finite for very large attempt counts', () => {
    expect(backoffDelay(10_000, 100, 60_000, () => 1)).toBe(60_000)
  })
})
