import type { Request, RequestHandler, Response } from 'express'
import { type RateLimitRequestHandler, ipKeyGenerator, rateLimit } from 'express-rate-limit'
import { TooManyAttemptsError, UnauthorizedError } from './errorResponses'
import { secretMatcher } from './secretMatcher'

export interface AdminKeyGuardOptions {
  adminApiKey?: string
  /**
   * Wrong admin keys one address may give within `failureWindowMs`, by `x-api-key` and by the
   * page's sign-in together (they guess the same secret); past it, the address gets 429, and its
   * keys are not even checked, until the window ends. 0: no limit.
   */
  maxFailures: number
  failureWindowMs: number
}

/**
 * The one guard of the admin routes: the admin key (`x-api-key`, compared in constant time), and a
 * limit on wrong keys per address, so that the key cannot be guessed at the speed of the port. The
 * API routes get it from their route table (`access`), never route by route; the page's sign-in
 * form shares its limit.
 *
 * Only wrong keys count: an address is checked against its count before its key is (so a right
 * guess past the limit is refused too), and counted only once its key was wrong, so that an
 * operator's scripts, however many calls they make at once, never lock it out.
 */
export class AdminKeyGuard {
  /** Whether a request carries the admin key in `x-api-key`; always true when none is set. */
  public readonly hasKey: (req: Request) => boolean
  /** Whether this is the admin key (the page's sign-in form); false when none is set. */
  public readonly isAdminKey: (given: unknown) => boolean
  /** For the admin routes: 429 for an address that gave too many wrong keys, else 401 without the key. */
  public readonly requireKey: RequestHandler[]
  /** For a route whose details need the key: refuses nothing, sets `res.locals.admin`. */
  public readonly inspectKey: RequestHandler[]
  /** Before the sign-in form checks its key: 429 for an address that gave too many wrong keys. */
  public readonly refuseBlockedAddress: RequestHandler
  private readonly failures?: RateLimitRequestHandler

  public constructor(private readonly options: AdminKeyGuardOptions) {
    const matches = options.adminApiKey === undefined ? undefined : secretMatcher(options.adminApiKey)
    this.isAdminKey = (given) => matches?.(given) ?? false
    this.hasKey = (req) => matches?.(req.header('x-api-key')) ?? true
    this.failures = options.maxFailures > 0 ? failureCounter(options) : undefined
    this.refuseBlockedAddress = (req, _res, next) => {
      this.refuseIfBlocked(req).then(() => next(), next)
    }
    // A request without a key is no guess: it is refused (401), or answered without details, uncounted.
    const refuseBlockedGuesser: RequestHandler = (req, res, next) =>
      req.header('x-api-key') === undefined ? next() : this.refuseBlockedAddress(req, res, next)
    const check =
      (refuse: boolean): RequestHandler =>
      (req, res, next) => {
        const admin = this.hasKey(req)
        res.locals.admin = admin
        const refusal = admin || !refuse ? undefined : new UnauthorizedError(UNAUTHORIZED)
        if (admin || req.header('x-api-key') === undefined) return next(refusal)
        this.countWrongKey(req, res, (error) => next(error ?? refusal))
      }
    this.requireKey = [refuseBlockedGuesser, check(true)]
    this.inspectKey = [refuseBlockedGuesser, check(false)]
  }

  public get keyIsSet(): boolean {
    return this.options.adminApiKey !== undefined
  }

  /**
   * Counts a wrong key of this request's address, then calls `next`, with the 429 when this one
   * went past the limit.
   */
  public countWrongKey(req: Request, res: Response, next: (error?: unknown) => void): void {
    if (this.failures) this.failures(req, res, next)
    else next()
  }

  /** Who called an admin route, for the log of what it did: never the key itself. */
  public callerOf(req: Request): string {
    return this.keyIsSet ? `admin key from ${req.ip}` : `${req.ip} (no admin key is set)`
  }

  private async refuseIfBlocked(req: Request): Promise<void> {
    if (!this.failures) return
    const counted = await this.failures.getKey(addressOf(req))
    const resetTime = counted?.resetTime?.getTime()
    if (!counted || resetTime === undefined || resetTime <= Date.now()) return
    if (counted.totalHits >= this.options.maxFailures) throw this.tooMany(resetTime)
  }

  private tooMany(resetTime: number): TooManyAttemptsError {
    return new TooManyAttemptsError(this.options.maxFailures, Math.max(1, Math.ceil((resetTime - Date.now()) / 1000)))
  }
}

const UNAUTHORIZED = 'This route needs the admin API key in the x-api-key header.'

/** IPv4 as it is, IPv6 by its /56, as express-rate-limit keys addresses. */
function addressOf(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')
}

/**
 * Counts wrong keys per address in a fixed window (express-rate-limit's memory store). It is only
 * ever called for a wrong key; past the limit its handler refuses with 429 and `Retry-After`. Its
 * own rate-limit headers are off: a refusal says `Retry-After` itself.
 */
function failureCounter({ maxFailures, failureWindowMs }: AdminKeyGuardOptions): RateLimitRequestHandler {
  return rateLimit({
    windowMs: failureWindowMs,
    limit: maxFailures,
    keyGenerator: addressOf,
    standardHeaders: false,
    legacyHeaders: false,
    // Anyone may send X-Forwarded-For; the limit keys the socket's address, and says nothing of it.
    validate: { xForwardedForHeader: false, forwardedHeader: false },
    handler: (req, _res, next) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime
      const seconds = resetTime ? Math.ceil((resetTime.getTime() - Date.now()) / 1000) : failureWindowMs / 1000
      next(new TooManyAttemptsError(maxFailures, Math.max(1, Math.ceil(seconds))))
    },
  })
}
