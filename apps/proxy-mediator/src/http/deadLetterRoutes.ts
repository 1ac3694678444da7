import { type Request, Router } from 'express'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { asyncRoute } from './asyncRoute'
import { BadRequestError } from './errorResponses'
import { refuseCrossSite } from './refuseCrossSite'
import { requireApiKey } from './requireApiKey'

const MAX_LIMIT = 1_000
const DEFAULT_MAX_BYTES = 1024 * 1024
const MAX_MAX_BYTES = 16 * 1024 * 1024
/** What the module's pages hand out as `next`: milliseconds, a dot, a record id. */
const CURSOR = /^\d{1,16}\.[A-Za-z0-9-]{1,64}$/

/**
 * GET /dead-letters?limit=N&max_bytes=M&before=CURSOR: the messages acknowledged upstream that will
 * never be relayed, newest first, with their reason and the envelope still encrypted as it came (or
 * its size and digest, when it was too large to keep). A page holds at most `limit` of them and
 * `max_bytes` of what they kept (at least one); `next` is the `before` of the following page, null
 * on the last. Behind the admin key: the envelopes say who talks to whom.
 */
export function deadLetterRoutes(control: ProxyMediatorControlProvider, adminApiKey: string | undefined): Router {
  const router = Router()
  router.get(
    '/dead-letters',
    refuseCrossSite('none'),
    requireApiKey(adminApiKey),
    asyncRoute(async (req, res) => {
      const current = control()
      if (!current) {
        res
          .status(503)
          .json({ error: 'starting', detail: 'The proxy is starting (opening its wallet); try again shortly.' })
        return
      }
      const limit = wholeNumber(req, 'limit', 100, 1, MAX_LIMIT, 'invalid_limit')
      const maxBytes = wholeNumber(req, 'max_bytes', DEFAULT_MAX_BYTES, 1024, MAX_MAX_BYTES, 'invalid_max_bytes')
      const before = req.query.before
      if (before !== undefined && (typeof before !== 'string' || !CURSOR.test(before))) {
        throw new BadRequestError('before: pass the `next` of the previous page, unchanged.', 'invalid_cursor')
      }
      const page = await current.getDeadLetterPage({ limit, maxBytes, before })
      res.json({ dead_letters: page.deadLetters, next: page.next ?? null })
    }),
  )
  return router
}

function wholeNumber(req: Request, name: string, fallback: number, min: number, max: number, code: string): number {
  const raw = req.query[name]
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadRequestError(`${name} must be a whole number from ${min} to ${max}.`, code)
  }
  return value
}
