import { randomBytes } from 'node:crypto'

export interface OperatorSessionsOptions {
  /** The most sessions kept; signing in past it ends the oldest. */
  maxSessions: number
  /** How long a session lasts from sign-in, in milliseconds. */
  ttlMs: number
  now?: () => number
}

/**
 * The sessions of the operator's page, in memory: an opaque random id (what the cookie holds,
 * never the admin key) and its expiry. With an admin key only the key creates one; without one,
 * every browser that opens the page gets one, and the cap bounds them (the oldest ends first).
 * A restart signs everyone out.
 */
export class OperatorSessions {
  /** Insertion order is sign-in order, so the first entry is the oldest. */
  private readonly expiries = new Map<string, number>()
  private readonly now: () => number

  public constructor(private readonly options: OperatorSessionsOptions) {
    this.now = options.now ?? Date.now
  }

  public create(): string {
    this.removeExpired()
    while (this.expiries.size >= this.options.maxSessions) {
      const oldest = this.expiries.keys().next().value as string
      this.expiries.delete(oldest)
    }
    const id = randomBytes(32).toString('base64url')
    this.expiries.set(id, this.now() + this.options.ttlMs)
    return id
  }

  public isValid(id: string | undefined): boolean {
    if (id === undefined) return false
    const expiresAt = this.expiries.get(id)
    if (expiresAt === undefined) return false
    if (expiresAt <= this.now()) {
      this.expiries.delete(id)
      return false
    }
    return true
  }

  public end(id: string | undefined): void {
    if (id !== undefined) this.expiries.delete(id)
  }

  public get size(): number {
    return this.expiries.size
  }

  private removeExpired(): void {
    const now = this.now()
    for (const [id, expiresAt] of this.expiries) if (expiresAt <= now) this.expiries.delete(id)
  }
}
