import { Router } from 'express'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { asyncRoute } from './asyncRoute'
import { BadRequestError } from './errorResponses'
import { requireApiKey } from './requireApiKey'

const MAX_LIMIT = 1_000

/**
 * GET /dead-letters?limit=N: the messages acknowledged upstream that will never be relayed, newest
 * first, with their reason and the envelope still encrypted as it came. Behind the admin key: the
 * envelopes say who talks to whom.
 */
export function deadLetterRoutes(control: ProxyMediatorControlProvider, adminApiKey: string | undefined): Router {
  const router = Router()
  router.get(
    '/dead-letters',
    requireApiKey(adminApiKey),
    asyncRoute(async (req, res) => {
      const current = control()
      if (!current) {
        res
          .status(503)
          .json({ error: 'starting', detail: 'The proxy is starting (opening its wallet); try again shortly.' })
        return
      }
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
        throw new BadRequestError(`limit must be a whole number from 1 to ${MAX_LIMIT}.`, 'invalid_limit')
      }
      res.json({ dead_letters: await current.getDeadLetters(limit) })
    }),
  )
  return router
}
