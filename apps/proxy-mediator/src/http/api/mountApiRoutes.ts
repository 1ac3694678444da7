import express, { type RequestHandler, Router } from 'express'
import type { AdminKeyGuard } from '../../web/AdminKeyGuard'
import type { ProxyMediatorControlProvider } from '../../web/ProxyMediatorControl'
import { asyncRoute } from '../../web/asyncRoute'
import { StartingError } from '../../web/errorResponses'
import { readInput } from '../../web/readInput'
import { refuseCrossSite } from '../../web/refuseCrossSite'
import type { AnyApiRoute } from './ApiRoute'

export interface MountApiRoutesOptions {
  control: ProxyMediatorControlProvider
  /** The one admin-key guard, mounted on every route whose access asks for it. */
  guard: AdminKeyGuard
  maxBodySizeBytes: number
}

/**
 * A router of API routes, from their definitions: each route gets, in this order, the cross-site
 * check, the admin-key guard (by its `access`), the JSON parser (only a route with a body, so it
 * never reads DIDComm bodies), a 503 while the proxy starts, and its input read by its own schemas.
 */
export function mountApiRoutes(routes: readonly AnyApiRoute[], options: MountApiRoutesOptions): Router {
  const { control, guard } = options
  const router = Router()
  // JSON only (refuseCrossSite): a page of another site cannot post it without the browser asking first.
  const parseJson = express.json({ limit: options.maxBodySizeBytes, strict: true })
  const currentProxy = () => {
    const proxy = control()
    if (!proxy) throw new StartingError()
    return proxy
  }
  const guardOf: Record<AnyApiRoute['access'], RequestHandler[]> = {
    open: [],
    admin: guard.requireKey,
    'admin-for-details': guard.inspectKey,
  }

  for (const route of routes) {
    const chain: RequestHandler[] = [
      ...(route.crossSite ? [refuseCrossSite(route.crossSite)] : []),
      ...guardOf[route.access],
      ...(route.body ? [parseJson] : []),
      asyncRoute(async (req, res) => {
        if (route.needsProxy !== false) currentProxy()
        await route.handle({
          query: route.query ? readInput(route.query, req.query) : undefined,
          params: route.params ? readInput(route.params, req.params) : undefined,
          body: route.body ? readInput(route.body, req.body) : undefined,
          // Read when the handler asks: a route that does without the proxy answers while it starts.
          get proxy() {
            return currentProxy()
          },
          admin: res.locals.admin === true,
          by: guard.callerOf(req),
          req,
          res,
        })
      }),
    ]
    router[route.method]([route.path, ...(route.aliases ?? [])], ...chain)
  }
  return router
}
