import { createHmac, randomBytes } from 'node:crypto'
import { secretMatcher } from '../web/secretMatcher'

/**
 * CSRF tokens bound to a session id: an HMAC of the id under a secret made at start, so a token
 * is valid only with the cookie it was made for and nothing is stored per token. SameSite=Strict
 * cookies already keep other sites' forms out; the token is the second lock (and the only one
 * for a browser that ignores SameSite).
 */
export class CsrfTokens {
  private readonly secret = randomBytes(32)

  public tokenFor(sessionId: string): string {
    return createHmac('sha256', this.secret).update(sessionId).digest('base64url')
  }

  /** Constant-time, whatever length was sent. */
  public isValid(sessionId: string | undefined, token: unknown): boolean {
    return sessionId !== undefined && secretMatcher(this.tokenFor(sessionId))(token)
  }
}
