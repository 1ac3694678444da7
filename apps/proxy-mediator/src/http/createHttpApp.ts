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
import { statusRoutes } from './statusRoutes'
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
}

export interface HttpApp {
  /** The DIDComm transport adds its POST route to it; then call `finish`. */
  app: Express
  /** Adds what must come after every route: the JSON 404 and the error handler. */
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
 * The express app that serves the runner's routes next to the DIDComm endpoint on one port.
 */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { logger } = options
  const recordRefusal = refusalRecorder(logger, options.countRejection)
  const app = express()
  app.disable('x-powered-by')
  let draining = false

  app.use((_req, res, next) => {
    if (!draining) return next()
    res.set('connection', 'close').status(503).json({ error: 'shutting_down', detail: 'The proxy is shutting down.' })
  })

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

  app.use(statusRoutes(options.control, options.registry, options.adminApiKey))
  app.use(deadLetterRoutes(options.control, options.adminApiKey))
  app.use(
    invitationRoutes({
      control: options.control,
      adminApiKey: options.adminApiKey,
      maxBodySizeBytes: options.maxBodySizeBytes,
      logger,
    }),
  )

  app.use(
    mediatorRoutes({
      control: options.control,
      adminApiKey: options.adminApiKey,
      maxBodySizeBytes: options.maxBodySizeBytes,
      logger,
    }),
  )

  // GET / and /ui/*: the operator's page. POST / above stays the DIDComm endpoint.
  const operatorPage = operatorPageRoutes({
    control: options.control,
    adminApiKey: options.adminApiKey,
    logger,
    maxBodySizeBytes: options.maxBodySizeBytes,
    recordRefusal,
    limits: options.operatorPageLimits,
  })
  app.use(operatorPage.router)

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
    recordRefusal,
    finish() {
      app.use((req, _res, next) =>
        next(new NotFoundError(`There is no ${req.method} ${req.path}. See the README for the routes.`)),
      )
      app.use(handleError)
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
