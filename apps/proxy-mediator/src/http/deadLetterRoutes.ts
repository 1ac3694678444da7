import { type Request, Router } from 'express'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { asyncRoute } from './asyncRoute'
import { BadRequestError } from './errorResponses'
import { refuseCrossSite } from './refuseCrossSite'
import { requireApiKey } from './requireApiKey'

const MAX_LIMIT = 1_000
/** What the module's pages hand out as `next`: milliseconds, a dot, a record id. */
const CURSOR = /^\d{1,16}\.[A-Za-z0-9-]{1,64}$/

/**
 * GET /dead-letters?limit=N&before=CURSOR: the messages acknowledged upstream that the proxy will not
 * relay by itself, newest first: the reason, when, the key and the agent that holds it, the size;
 * never the content. A page holds at most `limit` of them; `next` is the `before` of the following
 * page, null on the last. Behind the admin key: the keys and reasons say who talks to whom.
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
      const before = req.query.before
      if (before !== undefined && (typeof before !== 'string' || !CURSOR.test(before))) {
        throw new BadRequestError('before: pass the `next` of the previous page, unchanged.', 'invalid_cursor')
      }
      const page = await current.getDeadLetterPage({ limit, before })
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
