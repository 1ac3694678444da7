import { Router } from 'express'
import type { Registry } from 'prom-client'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { asyncRoute } from './asyncRoute'
import { apiKeyCheck } from './requireApiKey'

const STARTING = { error: 'starting', detail: 'The proxy is starting (opening its wallet); try again shortly.' }

/**
 * Liveness and readiness: on the DIDComm listener (what a load balancer in front of it asks) and on
 * the admin one alike.
 */
export function probeRoutes(control: ProxyMediatorControlProvider): Router {
  const router = Router()

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })

  // Ready means forwards are flowing: upstream pickup runs, `degraded` included (an agent that fails
  // is not the proxy's to fix, and restarting the proxy would not help it). A load balancer or an
  // orchestrator waits for this before counting the proxy in.
  router.get('/ready', (_req, res) => {
    const status = control()?.getStatus().status
    const ready = status === 'ready' || status === 'degraded'
    res.status(ready ? 200 : 503).json({ ready, status: status ?? 'starting' })
  })

  return router
}

/** Status (compatible with the Python proxy-mediator) and Prometheus metrics: admin routes. */
export function statusRoutes(
  control: ProxyMediatorControlProvider,
  registry: Registry,
  adminApiKey: string | undefined,
): Router {
  const hasKey = apiKeyCheck(adminApiKey)
  const router = Router()

  // The state is public, like /ready; the details (agents, endpoints, keys) need the admin key.
  router.get('/status', (req, res) => {
    const current = control()
    if (!current) {
      res.status(503).json(STARTING)
      return
    }
    const { status, ...details } = current.getStatus()
    res.json(hasKey(req) ? { status, ...details } : { status })
  })

  router.get(
    '/metrics',
    asyncRoute(async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics())
    }),
  )

  return router
}
