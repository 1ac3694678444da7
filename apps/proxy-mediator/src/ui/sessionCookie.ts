import type { Request, Response } from 'express'

export const SESSION_COOKIE = 'pm_operator_session'

/** The session id from the Cookie header (no cookie-parser for one cookie). */
export function readSessionCookie(req: Request): string | undefined {
  const header = req.header('cookie')
  if (!header) return undefined
  for (const part of header.split(';')) {
    const separator = part.indexOf('=')
    if (separator < 0 || part.slice(0, separator).trim() !== SESSION_COOKIE) continue
    const value = part.slice(separator + 1).trim()
    // Ids are base64url; anything else was not made here.
    return /^[A-Za-z0-9_-]{1,100}$/.test(value) ? value : undefined
  }
  return undefined
}

/**
 * HttpOnly: no script reads it. SameSite=Strict: no other site's page sends it. Secure when the
 * request came over TLS: the runner's own (`--tls-cert`), on which every request is; on plain HTTP
 * (loopback, or inside a LAN) Secure would make the browser drop the cookie.
 */
export function setSessionCookie(req: Request, res: Response, id: string, maxAgeMs?: number): void {
  res.cookie(SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure,
    path: '/',
    maxAge: maxAgeMs,
  })
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' })
}
