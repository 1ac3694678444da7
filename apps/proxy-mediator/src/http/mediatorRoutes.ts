import type { Logger } from '@credo-ts/core'
import express, { type Request, Router } from 'express'
import type { ProxyMediatorControl, ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { asyncRoute } from './asyncRoute'
import { BadRequestError, StartingError } from './errorResponses'
import { readMediatorInvitation, safeHost } from './readMediatorInvitation'
import { refuseCrossSite } from './refuseCrossSite'
import { requireApiKey } from './requireApiKey'

export interface MediatorRoutesOptions {
  control: ProxyMediatorControlProvider
  adminApiKey?: string
  maxBodySizeBytes: number
  logger: Logger
}

/** A mediator's id is the proxy's connection id to it (a UUID); anything else is refused before the module. */
const MEDIATOR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/**
 * The external mediators, behind the admin key:
 * - GET /mediators: each with its role, state, counts and last error;
 * - POST /mediators {"invitation_url", "primary"?}: add one (primary unless `"primary": false`);
 * - POST /mediators/:id/promote, POST /mediators/:id/drain, DELETE /mediators/:id[?force=true];
 * - POST /mediators/announce-route: send every agent a fresh grant with the current route.
 * Every answer of a change is `{change, mediators}`: what the module did, and the list after it.
 */
export function mediatorRoutes({ control, adminApiKey, maxBodySizeBytes, logger }: MediatorRoutesOptions): Router {
  const router = Router()
  // JSON only (refuseCrossSite): a page of another site cannot post it without the browser asking first.
  const parseJson = express.json({ limit: maxBodySizeBytes, strict: true })
  const current = (): ProxyMediatorControl => {
    const found = control()
    if (!found) throw new StartingError()
    return found
  }
  const listing = (proxy: ProxyMediatorControl) => {
    const { status, reason, mediators, failovers } = proxy.getStatus()
    return { status, reason, failovers, mediators }
  }

  // Only POST /mediators has a body; the other changes take none.
  const jsonOnly = refuseCrossSite('json')
  const noBody = refuseCrossSite('none')
  router.use('/mediators', (req, res, next) =>
    (req.method === 'POST' && req.path === '/' ? jsonOnly : noBody)(req, res, next),
  )
  router.use('/mediators', requireApiKey(adminApiKey))

  router.get(
    '/mediators',
    asyncRoute(async (_req, res) => {
      res.json(listing(current()))
    }),
  )

  router.post(
    '/mediators',
    parseJson,
    asyncRoute(async (req, res) => {
      const proxy = current()
      const { invitationUrl, primary } = readMediatorInvitation(req)
      logger.info('Adding an external mediator', { invitationHost: safeHost(invitationUrl), primary: primary ?? true })
      const { change } = await proxy.connectToMediator(invitationUrl, { primary: primary ?? true })
      logger.info(`External mediator ${change.mediatorId}: ${change.result}`, { role: change.role })
      res.status(change.result === 'added' ? 201 : 200).json({ change, ...listing(proxy) })
    }),
  )

  router.post(
    '/mediators/announce-route',
    asyncRoute(async (_req, res) => {
      const proxy = current()
      const agentsAnnouncedTo = await proxy.announceRoute()
      logger.info(`Announced the current route to ${agentsAnnouncedTo} agents`)
      res.json({ agentsAnnouncedTo, ...listing(proxy) })
    }),
  )

  const change = (action: 'promote' | 'drain', run: (proxy: ProxyMediatorControl, id: string) => Promise<unknown>) =>
    asyncRoute(async (req, res) => {
      const proxy = current()
      const id = readMediatorId(req)
      const done = await run(proxy, id)
      logger.info(`External mediator ${id}: ${action}`)
      res.json({ change: done, ...listing(proxy) })
    })
  router.post(
    '/mediators/:id/promote',
    change('promote', (proxy, id) => proxy.promoteMediator(id)),
  )
  router.post(
    '/mediators/:id/drain',
    change('drain', (proxy, id) => proxy.drainMediator(id)),
  )

  router.delete(
    '/mediators/:id',
    asyncRoute(async (req, res) => {
      const proxy = current()
      const id = readMediatorId(req)
      const force = readForce(req)
      const done = await proxy.removeMediator(id, { force })
      res.json({ change: done, ...listing(proxy) })
    }),
  )

  return router
}

function readMediatorId(req: Request): string {
  const id = req.params.id
  if (typeof id !== 'string' || !MEDIATOR_ID.test(id)) {
    throw new BadRequestError(
      `:id: '${String(id).slice(0, 64)}' is not a mediator id. Use an id from GET /mediators (the proxy's connection id to the mediator).`,
      'invalid_mediator_id',
    )
  }
  return id
}

function readForce(req: Request): boolean {
  const value = req.query.force
  if (value === undefined) return false
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw new BadRequestError(
    `force: must be true or false, got ${JSON.stringify(value)}. ?force=true removes a mediator that still holds messages, abandoning them.`,
    'invalid_force',
  )
}
