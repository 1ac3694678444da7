import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { proxyStatus } from '../../__tests__/support/statusFixtures'
import { StatusHistory } from '../StatusHistory'

const counters = (relayed: number, failedAttempts: number, inFlight: number) =>
  proxyStatus({
    status: 'ready',
    counters: { relayed, failedAttempts, inFlight, deadLettered: 0, outbox: 0, heldInMemory: 0 },
  })

describe('StatusHistory', () => {
  let clock: number
  let current: ProxyMediatorStatus | undefined
  const history = (options: { spanMs?: number; onError?: (error: unknown) => void } = {}) =>
    new StatusHistory({ read: () => current, stepMs: 10_000, now: () => clock, ...options })

  beforeEach(() => {
    clock = Date.parse('2026-01-01T00:00:00.000Z')
    current = undefined
  })

  it('records what happened in each step: relayed and failed attempts as differences, the backlog as it is', () => {
    const recorder = history()
    current = counters(5, 2, 1)
    recorder.sample()
    clock += 10_000
    current = counters(12, 2, 4)
    recorder.sample()
    clock += 10_000
    current = counters(12, 9, 0)
    recorder.sample()
    expect(recorder.samples()).toEqual([
      { at: '2026-01-01T00:00:00.000Z', relayed: 5, failedAttempts: 2, backlog: 1 },
      { at: '2026-01-01T00:00:10.000Z', relayed: 7, failedAttempts: 0, backlog: 4 },
      { at: '2026-01-01T00:00:20.000Z', relayed: 0, failedAttempts: 7, backlog: 0 },
    ])
    expect(recorder.latest()).toEqual({ at: '2026-01-01T00:00:20.000Z', relayed: 0, failedAttempts: 7, backlog: 0 })
  })

  it('keeps one span of steps: an hour at 10 s is 360 samples, the oldest dropped first', () => {
    const recorder = history()
    for (let step = 0; step < 400; step++) {
      current = counters(step, 0, 0)
      recorder.sample()
      clock += 10_000
    }
    const samples = recorder.samples()
    expect(samples).toHaveLength(360)
    expect(samples[0].at).toBe(new Date(Date.parse('2026-01-01T00:00:00.000Z') + 40 * 10_000).toISOString())
    expect(samples.every((sample, index) => index === 0 || sample.relayed === 1)).toBe(true)
  })

  it('takes no sample while the proxy starts, and counts from a restarted counter without going negative', () => {
    const recorder = history()
    recorder.sample()
    expect(recorder.samples()).toEqual([])
    current = counters(100, 10, 0)
    recorder.sample()
    current = counters(3, 1, 0)
    recorder.sample()
    current = counters(5, 1, 0)
    recorder.sample()
    expect(recorder.samples().map(({ relayed, failedAttempts }) => [relayed, failedAttempts])).toEqual([
      [100, 10],
      [0, 0],
      [2, 0],
    ])
  })

  it('never throws when the status cannot be read, reports it once, and samples again once it can', () => {
    const errors: unknown[] = []
    let broken = true
    const recorder = new StatusHistory({
      read: () => {
        if (broken) throw new Error('status unreadable')
        return counters(1, 0, 0)
      },
      onError: (error) => {
        errors.push(error)
        throw new Error('the logger fails too')
      },
    })
    expect(() => {
      recorder.sample()
      recorder.sample()
    }).not.toThrow()
    expect(errors).toHaveLength(1)
    broken = false
    recorder.sample()
    expect(recorder.samples()).toHaveLength(1)
  })
})
