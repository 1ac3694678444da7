import type { Registry } from 'prom-client'
import { z } from 'zod'
import type { StatusHistory } from '../history/StatusHistory'
import type { ProxyMediatorControlProvider } from '../web/ProxyMediatorControl'
import { type AnyApiRoute, apiRoute } from './api/ApiRoute'

const TAG = 'Health and status'

const stateSchema = z.enum(['init', 'setup', 'ready', 'degraded'])

/**
 * Liveness and readiness: on the DIDComm listener (what a load balancer in front of it asks) and on
 * the admin one alike.
 */
export function probeRoutes(control: ProxyMediatorControlProvider): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'get',
      path: '/health',
      access: 'open',
      needsProxy: false,
      tag: TAG,
      summary: 'Liveness: the process answers',
      description:
        'For a liveness probe: 200 whenever the process serves HTTP, in every state. Restart the process only when this fails.',
      answers: { 200: { description: 'The process runs.', schema: z.object({ status: z.literal('ok') }) } },
      handle: ({ res }) => {
        res.json({ status: 'ok' })
      },
    }),

    // Ready means forwards are flowing: upstream pickup runs, `degraded` included (an agent that fails
    // is not the proxy's to fix, and restarting the proxy would not help it). A load balancer or an
    // orchestrator waits for this before counting the proxy in.
    apiRoute({
      method: 'get',
      path: '/ready',
      access: 'open',
      needsProxy: false,
      tag: TAG,
      summary: 'Readiness: pickup from the external mediator runs',
      description:
        'For a readiness probe (and the container HEALTHCHECK): 200 while pickup runs, in `ready` and in `degraded` (an agent that fails is not fixed by restarting the proxy), else 503. Alert on `degraded` through GET /status or the metrics instead.',
      answers: {
        200: {
          description: 'Pickup runs.',
          schema: z.object({ ready: z.literal(true), status: z.enum(['ready', 'degraded']) }),
        },
        503: {
          description: 'Pickup does not run (yet): `init`, `setup`, or the proxy starts.',
          schema: z.object({ ready: z.literal(false), status: z.enum(['init', 'setup', 'starting']) }),
        },
      },
      handle: ({ res }) => {
        const status = control()?.getStatus().status
        const ready = status === 'ready' || status === 'degraded'
        res.status(ready ? 200 : 503).json({ ready, status: status ?? 'starting' })
      },
    }),
  ]
}

/** Status (compatible with the Python proxy-mediator), its last hour, and Prometheus metrics: admin routes. */
export function statusRoutes(
  control: ProxyMediatorControlProvider,
  registry: Registry,
  history: StatusHistory,
): AnyApiRoute[] {
  return [
    // The state is public, like /ready; the details (agents, endpoints, keys) need the admin key.
    apiRoute({
      method: 'get',
      path: '/status',
      access: 'admin-for-details',
      tag: TAG,
      summary: 'The state, and with the admin key every detail',
      description:
        'The state for anyone: `init` (no external mediator yet), `setup` (pickup not running), `ready`, or `degraded` (pickup runs, but an agent has failed for agent-failing-after, or the primary mediator is down). With the admin key, also `reason` (who and why), the external mediators, the agents (each `ok` or `failing`, with the cause, since when and its backlog), the counters and the storage.',
      answers: {
        200: {
          description: 'The state; with the admin key, the whole status of the module (`getStatus()`).',
          schema: z.looseObject({ status: stateSchema }),
        },
      },
      handle: ({ proxy, admin, res }) => {
        const { status, ...details } = proxy.getStatus()
        res.json(admin ? { status, ...details } : { status })
      },
    }),

    apiRoute({
      method: 'get',
      path: '/status/history',
      access: 'admin',
      crossSite: 'none',
      needsProxy: false,
      tag: TAG,
      summary: 'The last hour, at 10 s steps',
      description:
        'Kept in memory since the process started: for each step, the messages relayed and the relay attempts that failed during it, and the backlog (messages taken and not yet delivered) at its end. The operator\u2019s page draws it.',
      answers: {
        200: {
          description: 'The samples, oldest first.',
          schema: z.object({
            step_seconds: z.number(),
            samples: z.array(
              z.object({
                at: z.string().meta({ description: 'When the step ended (ISO time).' }),
                relayed: z.number(),
                failedAttempts: z.number(),
                backlog: z.number(),
              }),
            ),
          }),
        },
      },
      handle: ({ res }) => {
        res.json({ step_seconds: history.stepMs / 1000, samples: history.samples() })
      },
    }),

    apiRoute({
      method: 'get',
      path: '/metrics',
      access: 'open',
      needsProxy: false,
      tag: TAG,
      summary: 'Prometheus metrics',
      description:
        'Counters and gauges of the proxy in the Prometheus text format: relayed, dead-lettered, failed attempts, in flight, the state, per mediator and per agent (`proxy_mediator_agent_failing`), the oldest message not yet delivered, refusals by reason.',
      answers: { 200: { description: 'The metrics.', contentType: 'text/plain' } },
      handle: async ({ res }) => {
        res.type(registry.contentType).send(await registry.metrics())
      },
    }),
  ]
}
