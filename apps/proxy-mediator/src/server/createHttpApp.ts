import { DidCommMimeType, type Logger } from '@credo-ts/core'
import express, { type ErrorRequestHandler, type Express } from 'express'
import type { Registry } from 'prom-client'
import type { StatusHistory } from '../history/StatusHistory'
import { aboutRoutes } from '../http/aboutRoutes'
import type { AnyApiRoute } from '../http/api/ApiRoute'
import { mountApiRoutes } from '../http/api/mountApiRoutes'
import { type OpenApiDocument, openApiDocument } from '../http/api/openApiDocument'
import { deadLetterRoutes } from '../http/deadLetterRoutes'
import type { EnvelopeLimits } from '../http/gateInboundMessage'
import { invitationRoutes } from '../http/invitationRoutes'
import { mediatorRoutes } from '../http/mediatorRoutes'
import { probeRoutes, statusRoutes } from '../http/statusRoutes'
import { validateDidcommBody } from '../http/validateDidcommBody'
import type { RunnerFacts } from '../runner/RunnerFacts'
import { apiReferenceRoutes } from '../ui/apiReferenceRoutes'
import { type OperatorPageLimits, operatorPageRoutes } from '../ui/operatorPageRoutes'
import { AdminKeyGuard } from '../web/AdminKeyGuard'
import type { ProxyMediatorControlProvider } from '../web/ProxyMediatorControl'
import { type RecordRefusal, refusalRecorder } from '../web/RefusalRecorder'
import { NotFoundError, toHttpErrorResponse } from '../web/errorResponses'

export interface HttpAppOptions {
  control: ProxyMediatorControlProvider
  registry: Registry
  logger: Logger
  adminApiKey?: string
  /** Wrong admin keys per address and window, by x-api-key and sign-in together; the defaults suit a deployment. */
  adminKeyLimits?: Partial<AdminKeyLimits>
  /** The last hour of the relay, for the page and GET /status/history. */
  history: StatusHistory
  /** Versions, start time and the configuration in effect, for the page and GET /about. */
  facts: RunnerFacts
  maxBodySizeBytes: number
  envelopeLimits: EnvelopeLimits
  /** Counts each request refused for its input, by reason (the runner's metrics). */
  countRejection?: (reason: string) => void
  /** Sessions and live streams of the operator's page; the defaults suit a deployment. */
  operatorPageLimits?: Partial<OperatorPageLimits>
  /** The admin routes on the DIDComm app too (one port, as before the admin listener). @default false */
  adminOnDidcommPort?: boolean
}

export interface HttpApp {
  /** The DIDComm listener's: the DIDComm transport adds its POST route to it; then call `finish`. */
  app: Express
  /** The admin listener's: the admin routes, the operator's page, /metrics. `app` itself when they share a port. */
  adminApp: Express
  /** Adds what must come after every route, on both apps: the JSON 404 and the error handler. */
  finish(): void
  /** The record of refused input this app keeps: the other ways in (websocket, connections) use it too. */
  recordRefusal: RecordRefusal
  /** Stop taking input: every new request gets 503 while the process shuts down. */
  startDraining(): void
  readonly draining: boolean
}

export interface AdminKeyLimits {
  /** 0: no limit. */
  maxFailures: number
  failureWindowMs: number
}

export const DEFAULT_ADMIN_KEY_LIMITS: AdminKeyLimits = { maxFailures: 10, failureWindowMs: 15 * 60 * 1000 }

const API_DESCRIPTION =
  'Set-up, the external mediators, dead letters, health and status of a DIDComm v1 proxy mediator, on the admin listener (--admin-host, --admin-port; /health and /ready on the DIDComm port too). The routes of the Python proxy-mediator keep their names. The DIDComm endpoint (POST / and the websocket) and the operator\u2019s page (/ and /ui/...) are not part of this API.'

/** The content types Credo's HttpInboundTransport reads as DIDComm messages. */
export const DIDCOMM_CONTENT_TYPES = [DidCommMimeType.V0, DidCommMimeType.V1]

/** 5xx answers that say what state the proxy is in, not that something failed. */
const STATES_NOT_ERRORS = new Set(['storage_unavailable', 'starting'])

/**
 * Every route of the API, from their definitions: the probes (on both listeners) and the admin
 * routes; and the OpenAPI document made from the same definitions (the reference routes serve it,
 * so they are in it too).
 */
export function apiRoutesOf(
  options: Pick<HttpAppOptions, 'control' | 'registry' | 'history' | 'facts'>,
  logger: Logger,
): { probes: AnyApiRoute[]; routes: AnyApiRoute[]; document: OpenApiDocument } {
  const probes = probeRoutes(options.control)
  const served = [
    ...statusRoutes(options.control, options.registry, options.history),
    ...invitationRoutes(options.control, logger),
    ...mediatorRoutes(logger),
    ...deadLetterRoutes(),
    ...aboutRoutes(options.facts),
  ]
  const routes = [...served, ...apiReferenceRoutes(() => document)]
  const document = openApiDocument([...probes, ...routes], {
    version: options.facts.versions.runner,
    description: API_DESCRIPTION,
  })
  return { probes, routes, document }
}

/**
 * The runner's two express apps: the DIDComm endpoint with /health and /ready, which faces the agent
 * and often a wider network, and the admin routes, the operator's page and /metrics, which the
 * runner serves on a listener of their own (loopback by default). With `adminOnDidcommPort` they
 * are one app, as before.
 */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { logger } = options
  const recordRefusal = refusalRecorder(logger, options.countRejection)
  let draining = false
  const newApp = () => {
    const created = express()
    created.disable('x-powered-by')
    created.use((_req, res, next) => {
      if (!draining) return next()
      res.set('connection', 'close').status(503).json({ error: 'shutting_down', detail: 'The proxy is shutting down.' })
    })
    return created
  }
  const app = newApp()
  const adminApp = options.adminOnDidcommPort ? app : newApp()

  // DIDComm bodies are read here, with the configured limit: an oversized message goes to our error
  // handler (413 with a JSON body). As bytes, as a websocket frame comes: the gate decodes only what
  // passes its header check.
  app.use(express.raw({ type: DIDCOMM_CONTENT_TYPES, limit: options.maxBodySizeBytes }))
  app.post(
    '/',
    validateDidcommBody(DIDCOMM_CONTENT_TYPES, options.control, {
      ...options.envelopeLimits,
      maxMessageBytes: options.maxBodySizeBytes,
    }),
  )

  // One guard for every admin route and the page's sign-in: the key, and a limit on wrong ones.
  const guard = new AdminKeyGuard({
    adminApiKey: options.adminApiKey,
    ...DEFAULT_ADMIN_KEY_LIMITS,
    ...options.adminKeyLimits,
  })
  const { probes, routes } = apiRoutesOf(options, logger)
  const mount = (table: AnyApiRoute[]) =>
    mountApiRoutes(table, { control: options.control, guard, maxBodySizeBytes: options.maxBodySizeBytes })
  app.use(mount(probes))
  if (adminApp !== app) adminApp.use(mount(probes))
  adminApp.use(mount(routes))

  // GET / and /ui/*: the operator's page. On one shared app, POST / above stays the DIDComm endpoint.
  const operatorPage = operatorPageRoutes({
    control: options.control,
    adminApiKey: options.adminApiKey,
    guard,
    history: options.history,
    facts: options.facts,
    logger,
    maxBodySizeBytes: options.maxBodySizeBytes,
    recordRefusal,
    limits: options.operatorPageLimits,
  })
  adminApp.use(operatorPage.router)

  const handleError: ErrorRequestHandler = (error, req, res, _next) => {
    const { status, body, headers } = toHttpErrorResponse(error)
    // A full store is a state of the proxy, logged when it begins and ends, not once per request;
    // so is the start.
    if (status >= 500 && !STATES_NOT_ERRORS.has(body.error)) logger.error(`${req.method} ${req.path} failed`, { error })
    else {
      // Refused input is the client's doing: a line per reason and minute, and a counter.
      recordRefusal(body.error, `${req.method} ${req.path} rejected: ${body.error}: ${body.detail}`)
    }
    if (res.headersSent) {
      res.end()
      return
    }
    if (headers) res.set(headers)
    res.status(status).json(body)
  }

  return {
    app,
    adminApp,
    recordRefusal,
    finish() {
      const elsewhere =
        adminApp === app
          ? ''
          : ' on the DIDComm port, which serves POST /, websocket upgrades, /health and /ready; the admin routes, the page and /metrics are on the admin listener (--admin-host, --admin-port)'
      for (const each of new Set([app, adminApp])) {
        const where = each === app ? elsewhere : ''
        each.use((req, _res, next) =>
          next(new NotFoundError(`There is no ${req.method} ${req.path}${where}. See the README for the routes.`)),
        )
        each.use(handleError)
      }
    },
    startDraining: () => {
      draining = true
      // An open event stream is a response in progress: the server's close would wait for it.
      operatorPage.closeStreams()
    },
    get draining() {
      return draining
    },
  }
}
