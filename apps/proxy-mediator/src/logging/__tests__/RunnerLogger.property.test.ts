import { RunnerLogger } from '../RunnerLogger'

const SECRET = 'wallet-key-that-must-never-appear'

/** A small seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
function random(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class Custom {
  public field = 'a class instance'
  public get broken(): string {
    throw new Error('a getter that throws')
  }
  public toString(): string {
    throw new Error('a toString that throws')
  }
}

/** Any value a caller might hand the logger, including the hostile ones. */
function arbitrary(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 12 : 18))
  switch (pick) {
    case 0:
      return undefined
    case 1:
      return null
    case 2:
      return next() * 1e6
    case 3:
      return BigInt(Math.floor(next() * 1e9)) ** 3n
    case 4:
      return Symbol(`s${next()}`)
    case 5:
      return `text with the ${SECRET} inside`
    case 6:
      return 'x'.repeat(Math.floor(next() * 200_000))
    case 7: {
      const error = new Error('plain')
      ;(error as { message: unknown }).message = { not: 'a string' }
      return error
    }
    case 8:
      return new Custom()
    case 9:
      return new Proxy(
        {},
        {
          get: () => {
            throw new Error('trap')
          },
          ownKeys: () => {
            throw new Error('trap')
          },
        },
      )
    case 10:
      return Object.assign(Object.create(null), { walletKey: SECRET })
    case 11:
      return () => 'a function'
    case 12: {
      const circular: Record<string, unknown> = { name: 'circular' }
      circular.self = circular
      return circular
    }
    case 13:
      return [arbitrary(next, depth + 1), arbitrary(next, depth + 1), new Uint8Array(8), new Date(Number.NaN)]
    case 14:
      return new Map([[1, 2]])
    case 15: {
      const error = new Error(`failed with ${SECRET}`)
      ;(error as { cause?: unknown }).cause = arbitrary(next, depth + 1)
      return error
    }
    default: {
      const object: Record<string, unknown> = {}
      for (let i = 0; i < 4; i++) object[`k${i}`] = arbitrary(next, depth + 1)
      object.adminApiKey = SECRET
      return object
    }
  }
}

describe('RunnerLogger, property-style over random values', () => {
  it.each(['json', 'pretty'] as const)('never throws and never leaks the secret (%s)', (format) => {
    const lines: string[] = []
    const logger = new RunnerLogger({ level: 'trace', format, secrets: [SECRET], write: (line) => lines.push(line) })
    for (let seed = 1; seed <= 400; seed++) {
      const next = random(seed)
      const message = arbitrary(next)
      const data = arbitrary(next)
      expect(() => logger.error(message as string, data as Record<string, unknown>)).not.toThrow()
    }
    expect(lines).toHaveLength(400)
    for (const line of lines) {
      expect(line).not.toContain(SECRET)
      if (format === 'json') expect(() => JSON.parse(line)).not.toThrow()
    }
  })

  it('drops the line, and still does not throw, when the sink itself throws', () => {
    const logger = new RunnerLogger({
      level: 'info',
      format: 'json',
      write: () => {
        throw new Error('disk full')
      },
    })
    expect(() => logger.info('hello', { a: 1 })).not.toThrow()
  })
})
