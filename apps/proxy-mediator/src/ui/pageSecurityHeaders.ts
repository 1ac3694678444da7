import type { RequestHandler, Response } from 'express'

/**
 * Nothing but the runner's own script, stylesheet and event stream; no inline script or style
 * (the QR code and the sparkline are SVG with presentation attributes, not style attributes);
 * no framing; forms post only here; no <base> to redirect relative URLs.
 */
export const OPERATOR_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** On every response of the operator's page: pages, assets, the event stream, the form answers. */
export const pageSecurityHeaders: RequestHandler = (_req, res, next) => {
  setPageSecurityHeaders(res)
  next()
}

/** The same, for a page served by a handler of its own (the API reference). */
export function setPageSecurityHeaders(res: Response): void {
  res.set({
    'content-security-policy': OPERATOR_PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    // Pages hold the invitation and CSRF tokens: no cache keeps them.
    'cache-control': 'no-store',
  })
}
