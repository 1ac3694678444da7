import type { ThroughputResult } from '../driver'
import { combineFloor, combineThroughput, orderOfRound, splitIntoRounds } from '../rounds'

const run = (
  messages: number,
  elapsedMs: number,
  cpu: number,
  extra: Partial<ThroughputResult> = {},
): ThroughputResult => ({
  mode: 'push',
  batch: 10,
  messages,
  elapsedMs,
  msgPerSec: (messages * 1000) / elapsedMs,
  duplicates: 0,
  rssBeforeBytes: 1,
  rssAfterBytes: 2,
  relayCpuMsPerMessage: cpu,
  driverCpuMsPerMessage: cpu / 2,
  sinkCpuMsPerMessage: cpu / 4,
  protocolMessages: { 'in messagepickup/2.0/messages-received': 3 },
  maxHandedOut: 100,
  window: { fromMs: 10, toMs: 20 },
  ...extra,
})

describe('interleaved rounds', () => {
  it('splits every item into rounds of at most the same size, in order', () => {
    const items = Array.from({ length: 10 }, (_, index) => index)
    expect(splitIntoRounds(items, 4)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])
    expect(splitIntoRounds(items, 1)).toEqual([items])
    expect(splitIntoRounds([1, 2], 4)).toEqual([[1], [2]])
  })

  it('rotates the order of the kinds each round', () => {
    const kinds = ['floor', 'pickupFloor', 'relay'] as const
    expect([0, 1, 2, 3].map((round) => orderOfRound(kinds, round).join(' '))).toEqual([
      'floor pickupFloor relay',
      'pickupFloor relay floor',
      'relay floor pickupFloor',
      'floor pickupFloor relay',
    ])
  })

  it('sums messages and time, and weights CPU per message by messages', () => {
    const combined = combineThroughput([
      run(1000, 500, 0.2),
      run(3000, 1500, 0.4, { maxHandedOut: 250, rssAfterBytes: 9, window: { fromMs: 30, toMs: 45 } }),
    ])
    expect(combined).toMatchObject({
      messages: 4000,
      elapsedMs: 2000,
      msgPerSec: 2000,
      relayCpuMsPerMessage: expect.closeTo(0.35),
      driverCpuMsPerMessage: expect.closeTo(0.175),
      maxHandedOut: 250,
      rssBeforeBytes: 1,
      rssAfterBytes: 9,
      window: { fromMs: 10, toMs: 45 },
    })
    expect(combined.protocolMessages).toEqual({ 'in messagepickup/2.0/messages-received': 6 })
  })

  it("is not the mean of the rounds' rates: a slow round weighs by its time", () => {
    const floor = (messages: number, elapsedMs: number) => ({
      messages,
      elapsedMs,
      msgPerSec: (messages * 1000) / elapsedMs,
      failures: 0,
      duplicates: 0,
      cpuMsPerMessage: 0.2,
      sinkCpuMsPerMessage: 0.05,
    })
    // 1,000 at 4,000 msg/s and 1,000 at 1,000 msg/s: 2,000 in 1.25 s.
    expect(combineFloor([floor(1000, 250), floor(1000, 1000)]).msgPerSec).toBe(1600)
  })
})
