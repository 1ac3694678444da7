import { OperatorSessions } from '../OperatorSessions'

describe('OperatorSessions', () => {
  it('makes opaque random ids that expire after their time', () => {
    let now = 1_000
    const sessions = new OperatorSessions({ maxSessions: 4, ttlMs: 100, now: () => now })
    const id = sessions.create()
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(sessions.create()).not.toBe(id)
    expect(sessions.isValid(id)).toBe(true)
    now += 100
    expect(sessions.isValid(id)).toBe(false)
    expect(sessions.isValid(undefined)).toBe(false)
  })

  it('keeps at most maxSessions, ending the oldest first', () => {
    const sessions = new OperatorSessions({ maxSessions: 2, ttlMs: 60_000 })
    const [first, second, third] = [sessions.create(), sessions.create(), sessions.create()]
    expect(sessions.size).toBe(2)
    expect(sessions.isValid(first)).toBe(false)
    expect(sessions.isValid(second)).toBe(true)
    expect(sessions.isValid(third)).toBe(true)
    sessions.end(third)
    expect(sessions.isValid(third)).toBe(false)
  })
})
