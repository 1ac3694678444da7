import type { Request, RequestHandler } from 'express'
import { BadRequestError } from './errorResponses'

/** What a route takes as its body. */
export type ExpectedBody = 'json' | 'none' | 'form'

/** What a browser may send to another site without asking first (no CORS preflight). */
const CROSS_SITE_BODY_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']
/** Sec-Fetch-Site values a browser sends for its own pages (`same-origin`) and for what its user typed (`none`). */
const OWN_SITE = new Set(['same-origin', 'none'])
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Refuses requests that a page of another site makes a browser send to an admin route (or a form
 * of the operator's page), with a key configured or without one. Scripts (curl, the CLI) send
 * neither header checked here, so they are not affected.
 *
 * - `Sec-Fetch-Site`, which browsers set themselves: anything but the proxy's own pages and what
 *   the user typed is refused (403).
 * - `Origin`, for a browser that sends no `Sec-Fetch-Site`: it must name the host the request was
 *   sent to.
 * - A JSON route takes `application/json` only, and a route without a body takes no form: a page
 *   of another site can post a form or `text/plain` without the browser asking the proxy first,
 *   but not JSON (415).
 */
export function refuseCrossSite(body: ExpectedBody): RequestHandler {
  return (req, _res, next) => {
    const site = req.header('sec-fetch-site')
    if (site !== undefined && !OWN_SITE.has(site)) return next(crossSite(`Sec-Fetch-Site is ${site}`))
    const origin = req.header('origin')
    if (site !== 'same-origin' && origin !== undefined && !isOwnOrigin(origin, req)) {
      return next(crossSite(`its Origin ${origin.slice(0, 100)} is not this proxy`))
    }
    if (!SAFE_METHODS.has(req.method)) {
      const type = mediaType(req)
      if (body === 'json' && type !== 'application/json' && !type?.endsWith('+json')) {
        return next(
          new BadRequestError(
            `${req.method} ${req.path} takes a JSON body with content-type: application/json; this request is ${type ?? 'without a content type'}.`,
            'json_required',
          ),
        )
      }
      if (body === 'none' && type !== undefined && CROSS_SITE_BODY_TYPES.includes(type)) {
        return next(
          new BadRequestError(
            `${req.method} ${req.path} takes no body; send it without one (this request is ${type}).`,
            'unexpected_body',
          ),
        )
      }
    }
    next()
  }
}

function crossSite(why: string): BadRequestError {
  return new BadRequestError(
    `Refused: this request comes from another site's page (${why}). Use the proxy's own page, or a script with the admin key.`,
    'cross_site_request',
  )
}

function isOwnOrigin(origin: string, req: Request): boolean {
  try {
    return new URL(origin).host === req.header('host')
  } catch {
    // "null" (a sandboxed frame, a file) and anything else that is not a URL.
    return false
  }
}

function mediaType(req: Request): string | undefined {
  const header = req.header('content-type')
  return header === undefined ? undefined : header.split(';')[0].trim().toLowerCase()
}
