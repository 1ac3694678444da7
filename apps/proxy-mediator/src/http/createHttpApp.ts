import { DidCommMimeType, type Logger } from '@credo-ts/core'
import express, { type ErrorRequestHandler, type Express } from 'express'
import type { Registry } from 'prom-client'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { NotFoundError, toHttpErrorResponse } from './errorResponses'
import { type RecordRefusal, refusalRecorder } from './RefusalRecorder'
import type { EnvelopeLimits } from './gateInboundMessage'
import { validateDidcommBody } from './validateDidcommBody'
import { deadLetterRoutes } from './deadLetterRoutes'
import { invitationRoutes } from './invitationRoutes'
import { mediatorRoutes } from './mediatorRoutes'
import { probeRoutes, statusRoutes } from './statusRoutes'
import { type OperatorPageLimits, operatorPageRoutes } from '../ui/operatorPageRoutes'

export interface HttpAppOptions {
  control: ProxyMediatorControlProvider
  registry: Registry
  logger: Logger
  adminApiKey?: string
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

/** The content types Credo's HttpInboundTransport reads as DIDComm messages. */
export const DIDCOMM_CONTENT_TYPES = [DidCommMimeType.V0, DidCommMimeType.V1]

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

  app.use(probeRoutes(options.control))
  if (adminApp !== app) adminApp.use(probeRoutes(options.control))
  adminApp.use(statusRoutes(options.control, options.registry, options.adminApiKey))
  adminApp.use(deadLetterRoutes(options.control, options.adminApiKey))
  adminApp.use(
    invitationRoutes({
      control: options.control,
      adminApiKey: options.adminApiKey,
      maxBodySizeBytes: options.maxBodySizeBytes,
      logger,
    }),
  )

  adminApp.use(
    mediatorRoutes({
      control: options.control,
      adminApiKey: options.adminApiKey,
      maxBodySizeBytes: options.maxBodySizeBytes,
      logger,
    }),
  )

  // GET / and /ui/*: the operator's page. On one shared app, POST / above stays the DIDComm endpoint.
  const operatorPage = operatorPageRoutes({
    control: options.control,
    adminApiKey: options.adminApiKey,
    logger,
    maxBodySizeBytes: options.maxBodySizeBytes,
    recordRefusal,
    limits: options.operatorPageLimits,
  })
  adminApp.use(operatorPage.router)

  const handleError: ErrorRequestHandler = (error, req, res, _next) => {
    const { status, body, headers } = toHttpErrorResponse(error)
    // A full store is a state of the proxy, logged when it begins and ends, not once per request.
    if (status >= 500 && body.error !== 'storage_unavailable')
      logger.error(`${req.method} ${req.path} failed`, { error })
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
