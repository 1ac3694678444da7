import { createHash } from 'node:crypto'
import type { Request, Response } from 'express'
import { CsrfTokens } from './CsrfTokens'
import { OperatorSessions } from './OperatorSessions'
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './sessionCookie'

/** Who is using the page: their session id, the CSRF token bound to it, and whether they signed in. */
export interface Operator {
  sessionId: string
  csrfToken: string
  signedIn: boolean
}

export interface OperatorAccessOptions {
  adminApiKey?: string
  maxSessions: number
  sessionTtlMs: number
}

/**
 * Who may see the page and act in it. With an admin key, only a browser signed in with it (a
 * session in memory, its id in a cookie). Without one the page is open, as /status's details
 * are, but each browser still gets a session, in memory too, so that forms carry a CSRF token
 * bound to it (another site cannot make the browser act) and a live stream needs a session the
 * proxy gave: a made-up cookie holds none of the page's few streams.
 */
export class OperatorAccess {
  private readonly sessions: OperatorSessions
  private readonly csrf = new CsrfTokens()

  public constructor(private readonly options: OperatorAccessOptions) {
    this.sessions = new OperatorSessions({ maxSessions: options.maxSessions, ttlMs: options.sessionTtlMs })
  }

  public get requiresSignIn(): boolean {
    return this.options.adminApiKey !== undefined
  }

  /**
   * The operator of a request: its session, when the proxy gave it and it has not ended. Without
   * one, `issue` (the page itself, and its forms) starts one for an open page; a page that needs
   * sign-in gets none.
   */
  public operatorOf(req: Request, res: Response, { issue = false } = {}): Operator | undefined {
    const cookieId = readSessionCookie(req)
    if (this.sessions.isValid(cookieId)) return this.operatorFor(cookieId as string, this.requiresSignIn)
    if (this.requiresSignIn || !issue) return undefined
    const id = this.sessions.create()
    setSessionCookie(req, res, id, this.options.sessionTtlMs)
    return this.operatorFor(id, false)
  }

  /** Whether this request may still stream: its session was not ended or expired meanwhile. */
  public isStillValid(operator: Operator): boolean {
    return this.sessions.isValid(operator.sessionId)
  }

  public signIn(req: Request, res: Response): void {
    setSessionCookie(req, res, this.sessions.create(), this.options.sessionTtlMs)
  }

  public signOut(req: Request, res: Response, operator: Operator): void {
    this.sessions.end(operator.sessionId)
    clearSessionCookie(req, res)
  }

  /**
   * Who acted on the page, for the log of what it did: the session by a short digest of its id (so
   * two sessions can be told apart, and the id itself is never logged), and the address.
   */
  public callerOf(operator: Operator, req: Request): string {
    const session = createHash('sha256').update(operator.sessionId).digest('hex').slice(0, 8)
    return this.requiresSignIn
      ? `page session ${session} from ${req.ip}`
      : `page session ${session} from ${req.ip} (no admin key is set)`
  }

  public hasValidCsrfToken(operator: Operator, token: unknown): boolean {
    return this.csrf.isValid(operator.sessionId, token)
  }

  private operatorFor(sessionId: string, signedIn: boolean): Operator {
    return { sessionId, csrfToken: this.csrf.tokenFor(sessionId), signedIn }
  }
}
