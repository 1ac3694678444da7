import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import type { Logger } from '@credo-ts/core'
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from 'express'
import type { AdminKeyGuard } from '../http/AdminKeyGuard'
import type { ProxyMediatorControl, ProxyMediatorControlProvider } from '../http/ProxyMediatorControl'
import type { RecordRefusal } from '../http/RefusalRecorder'
import { asyncRoute } from '../http/asyncRoute'
import { TooManyAttemptsError, toHttpErrorResponse } from '../http/errorResponses'
import { refuseCrossSite } from '../http/refuseCrossSite'
import { type Operator, OperatorAccess } from './OperatorAccess'
import { StatusStreams } from './StatusStreams'
import { invitationQrCode } from './invitationQrCode'
import { MEDIATOR_ACTIONS, checkConfirmation, findMediatorAction } from './mediatorActions'
import { operatorPageAssets } from './operatorPageAssets'
import { pageSecurityHeaders } from './pageSecurityHeaders'
import { renderLiveRegions } from './render/renderLiveRegions'
import { type AgentInvitationView, renderOperatorPage } from './render/renderOperatorPage'
import type { Notice } from './render/renderPageLayout'
import { renderSignInPage } from './render/renderSignInPage'

export interface OperatorPageLimits {
  /** Signed-in browsers kept at once; signing in past it ends the oldest session. */
  maxSessions: number
  sessionTtlMs: number
  /** Live pages (event streams) open at once, over all browsers. */
  maxStreams: number
  /** How often a live page gets a snapshot. */
  streamIntervalMs: number
}

export const DEFAULT_OPERATOR_PAGE_LIMITS: OperatorPageLimits = {
  maxSessions: 32,
  sessionTtlMs: 8 * 60 * 60 * 1000,
  maxStreams: 16,
  streamIntervalMs: 1000,
}

export interface OperatorPageOptions {
  control: ProxyMediatorControlProvider
  adminApiKey?: string
  /** The admin routes' guard: the sign-in form shares its limit on wrong keys. */
  guard: AdminKeyGuard
  logger: Logger
  maxBodySizeBytes: number
  recordRefusal: RecordRefusal
  limits?: Partial<OperatorPageLimits>
}

export interface OperatorPage {
  router: Router
  /** Ends every live page's stream; the runner calls it when it starts draining. */
  closeStreams(): void
}

/** What a redirect after a form may announce: fixed texts, so nothing of the request is reflected. */
const DONE_NOTICES: Record<string, string> = {
  'mediator-connected': 'Connected to the external mediator: mediation granted, pickup started.',
  'mediator-unchanged': 'The proxy is already set up with this external mediator; nothing was changed.',
  ...Object.fromEntries(MEDIATOR_ACTIONS.map((action) => [`mediator-${action.name}`, action.done])),
}

/**
 * The operator's page and what it posts to:
 * - GET /: the page (or the sign-in form while the admin key is set and the browser has no session);
 * - GET /ui/assets/*: its one script and one stylesheet;
 * - GET /ui/events: its live updates (Server-Sent Events);
 * - POST /ui/sign-in, /ui/sign-out, /ui/mediator-invitation, /ui/mediators/:id/:action: its forms.
 * POST / stays the DIDComm endpoint.
 */
export function operatorPageRoutes(options: OperatorPageOptions): OperatorPage {
  const { control, logger } = options
  const limits = { ...DEFAULT_OPERATOR_PAGE_LIMITS, ...options.limits }
  const access = new OperatorAccess({
    adminApiKey: options.adminApiKey,
    maxSessions: limits.maxSessions,
    sessionTtlMs: limits.sessionTtlMs,
  })
  const streams = new StatusStreams({
    maxStreams: limits.maxStreams,
    intervalMs: limits.streamIntervalMs,
    onError: (error) => logger.error('A live update of the operator\u2019s page could not be made', { error }),
  })
  const router = Router()
  // The page's own forms and stream only: another site's page cannot make the browser send them.
  const ownSiteOnly = refuseCrossSite('form')
  // Forms only; the parser is mounted on these routes alone, so it never reads other bodies.
  const parseForm = express.urlencoded({ extended: false, limit: options.maxBodySizeBytes, parameterLimit: 10 })

  const refuse = options.recordRefusal

  const sendPage = async (res: Response, operator: Operator, statusCode: number, notice?: Notice) => {
    const current = control()
    const status: ProxyMediatorStatus | undefined = current?.getStatus()
    const invitation = await readInvitation(current, logger)
    res
      .status(statusCode)
      .type('html')
      .send(
        renderOperatorPage({ status, invitation, csrfToken: operator.csrfToken, signedIn: operator.signedIn, notice }),
      )
  }

  const sendSignIn = (res: Response, statusCode: number, notice?: Notice) => {
    res.status(statusCode).type('html').send(renderSignInPage(notice))
  }

  /** The operator of a form post, once signed in (when needed) and with the right CSRF token; else answered. */
  const formOperator = async (req: Request, res: Response): Promise<Operator | undefined> => {
    // An open page gives a browser without a cookie one here too: the refusal below then
    // comes with a form that works.
    const operator = access.operatorOf(req, res, { issue: true })
    if (!operator) {
      refuse('operator_not_signed_in', `POST ${req.path} rejected: not signed in on the operator's page`)
      sendSignIn(res, 401, { kind: 'error', text: 'Sign in first: your session ended or expired. Nothing was done.' })
      return undefined
    }
    const body = req.body as Record<string, unknown> | undefined
    if (!access.hasValidCsrfToken(operator, body?.csrf_token)) {
      refuse('operator_csrf_mismatch', `POST ${req.path} rejected: CSRF token missing or not for this session`)
      await sendPage(res, operator, 403, {
        kind: 'error',
        text: 'The form is out of date (its token does not belong to this browser\u2019s session). Nothing was done; try again on this page.',
      })
      return undefined
    }
    return operator
  }

  /** Runs a module call for a form: success redirects to the page, an error is shown on it. */
  const act = async (
    res: Response,
    operator: Operator,
    done: string | ((result: unknown) => string),
    call: () => Promise<unknown>,
  ) => {
    try {
      const result = await call()
      res.redirect(303, `/?done=${typeof done === 'string' ? done : done(result)}`)
    } catch (error) {
      const { status, body } = toHttpErrorResponse(error)
      if (status >= 500) logger.error('An action of the operator\u2019s page failed', { error })
      await sendPage(res, operator, status, { kind: 'error', text: body.detail })
    }
  }

  /** A form of the page: parsed, signed in (when needed) and CSRF-checked before `handle` runs. */
  const formRoute = (path: string, handle: (req: Request, res: Response, operator: Operator) => Promise<void>) => {
    router.post(
      path,
      pageSecurityHeaders,
      ownSiteOnly,
      parseForm,
      asyncRoute(async (req, res) => {
        const operator = await formOperator(req, res)
        if (operator) await handle(req, res, operator)
      }),
    )
  }

  for (const [path, handler] of Object.entries(operatorPageAssets())) router.get(path, pageSecurityHeaders, handler)

  router.get(
    '/',
    pageSecurityHeaders,
    asyncRoute(async (req, res) => {
      const operator = access.operatorOf(req, res, { issue: true })
      if (!operator) {
        sendSignIn(res, 401)
        return
      }
      const done = typeof req.query.done === 'string' ? DONE_NOTICES[req.query.done] : undefined
      await sendPage(res, operator, 200, done ? { kind: 'success', text: done } : undefined)
    }),
  )

  // An address that gave too many wrong keys (here or as x-api-key) gets the form again, with when
  // to come back; its key is not even checked.
  const tooManyWrongKeys: ErrorRequestHandler = (error, req, res, next) => {
    if (!(error instanceof TooManyAttemptsError)) return next(error)
    refuse('too_many_attempts', `POST /ui/sign-in rejected from ${req.ip}: ${error.message}`)
    res.set('Retry-After', String(error.retryAfterSeconds))
    sendSignIn(res, 429, { kind: 'error', text: error.message })
  }

  // No CSRF token here: there is no session yet to bind one to, and a forged sign-in would
  // need the admin key itself.
  router.post(
    '/ui/sign-in',
    pageSecurityHeaders,
    ownSiteOnly,
    parseForm,
    options.guard.refuseBlockedAddress,
    ((req, res, next) => {
      if (!access.requiresSignIn) {
        res.redirect(303, '/')
        return
      }
      const body = req.body as Record<string, unknown> | undefined
      if (!access.isAdminApiKey(body?.admin_api_key)) {
        options.guard.countWrongKey(req, res, (error) => {
          if (error) return next(error)
          refuse('operator_sign_in_refused', 'POST /ui/sign-in rejected: not the admin API key')
          sendSignIn(res, 401, {
            kind: 'error',
            text: 'That is not this proxy\u2019s admin API key (--admin-api-key). Check it and try again.',
          })
        })
        return
      }
      access.signIn(req, res)
      res.redirect(303, '/')
    }) satisfies RequestHandler,
    tooManyWrongKeys,
  )

  formRoute('/ui/sign-out', async (req, res, operator) => {
    access.signOut(req, res, operator)
    res.redirect(303, '/')
  })

  formRoute('/ui/mediator-invitation', async (req, res, operator) => {
    const current = control()
    if (!current) {
      await sendPage(res, operator, 503, { kind: 'error', text: 'The proxy is starting; try again shortly.' })
      return
    }
    const invitationUrl = readFormInvitationUrl(req)
    if ('error' in invitationUrl) {
      await sendPage(res, operator, 400, { kind: 'error', text: invitationUrl.error })
      return
    }
    logger.info('Connecting to the external mediator (operator\u2019s page)', {
      invitationHost: new URL(invitationUrl.url).host,
    })
    const standby = (req.body as Record<string, unknown> | undefined)?.standby === 'yes'
    await act(
      res,
      operator,
      (result) =>
        (result as { change?: { result?: string } }).change?.result === 'unchanged'
          ? 'mediator-unchanged'
          : 'mediator-connected',
      () => current.connectToMediator(invitationUrl.url, { primary: !standby }),
    )
  })

  formRoute('/ui/mediators/:mediatorId/:action', async (req, res, operator) => {
    const action = findMediatorAction(req.params.action)
    const current = control()
    if (!action || !current) {
      await sendPage(res, operator, action ? 503 : 404, {
        kind: 'error',
        text: action ? 'The proxy is starting; try again shortly.' : 'There is no such mediator action.',
      })
      return
    }
    const mediatorId = req.params.mediatorId
    logger.info(`Mediator action ${action.name} on ${mediatorId} (operator\u2019s page)`)
    await act(res, operator, `mediator-${action.name}`, async () => {
      checkConfirmation(action, req.body as Record<string, unknown> | undefined)
      return action.run(current, mediatorId)
    })
  })

  router.get('/ui/events', pageSecurityHeaders, ownSiteOnly, (req, res) => {
    // Express answers HEAD with the GET route: a HEAD must not hold a stream open.
    if (req.method === 'HEAD') {
      res.status(405).set('allow', 'GET').end()
      return
    }
    const operator = access.operatorOf(req, res)
    if (!operator) {
      res.status(401).json({
        error: 'unauthorized',
        detail: 'Open the operator\u2019s page (GET /) first, and sign in if it asks: the stream needs its session.',
      })
      return
    }
    if (!streams.hasRoom()) {
      res.status(429).json({
        error: 'too_many_streams',
        detail: `At most ${limits.maxStreams} live pages can be open at once; close one, or reload later.`,
      })
      return
    }
    streams.open(res, {
      snapshot: () => (access.isStillValid(operator) ? liveSnapshot(control(), operator.csrfToken) : undefined),
    })
  })

  return { router, closeStreams: () => streams.closeAll() }
}

/** The `data` of one live update: the numbers for the sparkline and the regions to swap in. */
function liveSnapshot(current: ProxyMediatorControl | undefined, csrfToken: string): string {
  const status: ProxyMediatorStatus | undefined = current?.getStatus()
  const regions = renderLiveRegions(status, csrfToken)
  return JSON.stringify({
    state: status?.status ?? 'starting',
    counters: status?.counters ?? null,
    regions: Object.fromEntries(Object.entries(regions).map(([name, markup]) => [name, markup.markup])),
  })
}

async function readInvitation(current: ProxyMediatorControl | undefined, logger: Logger): Promise<AgentInvitationView> {
  if (!current) return { error: 'the proxy is starting; reload shortly.' }
  try {
    const { invitationUrl } = await current.getAgentInvitation()
    return { url: invitationUrl, qrCode: await invitationQrCode(invitationUrl) }
  } catch (error) {
    logger.error('The operator\u2019s page could not get the agent invitation', { error })
    return { error: 'the proxy could not make it; its log has the details.' }
  }
}

function readFormInvitationUrl(req: Request): { url: string } | { error: string } {
  const value = (req.body as Record<string, unknown> | undefined)?.invitation_url
  if (typeof value !== 'string' || value.trim() === '') {
    return { error: 'Paste the external mediator\u2019s invitation URL into the field first.' }
  }
  try {
    new URL(value.trim())
  } catch {
    return { error: 'That is not a URL. Paste the full invitation URL, e.g. https://mediator.example/?oob=...' }
  }
  return { url: value.trim() }
}
