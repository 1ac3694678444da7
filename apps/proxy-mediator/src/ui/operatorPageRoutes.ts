import type { Logger } from '@credo-ts/core'
import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { invitationUrlProblem } from '@proxy-mediator/proxy-mediator'
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from 'express'
import type { StatusHistory } from '../history/StatusHistory'
import type { RunnerFacts } from '../runner/RunnerFacts'
import type { AdminKeyGuard } from '../web/AdminKeyGuard'
import type { ProxyMediatorControl, ProxyMediatorControlProvider } from '../web/ProxyMediatorControl'
import type { RecordRefusal } from '../web/RefusalRecorder'
import { asyncRoute } from '../web/asyncRoute'
import { deadLetterPageQuery } from '../web/deadLetterPageQuery'
import type { DeadLetterSelection } from '../web/deadLetterSelection'
import { TooManyAttemptsError, toHttpErrorResponse } from '../web/errorResponses'
import { refuseCrossSite } from '../web/refuseCrossSite'
import { type Operator, OperatorAccess } from './OperatorAccess'
import { StatusStreams } from './StatusStreams'
import {
  CONFIRMED_FIELD,
  CONFIRMED_VALUE,
  type DeadLetterActionDone,
  findDeadLetterAction,
  selectionFields,
} from './deadLetterActions'
import { type DoneParts, doneNotice, doneQuery } from './doneNotices'
import { invitationQrCode } from './invitationQrCode'
import { checkConfirmation, findMediatorAction } from './mediatorActions'
import { operatorPageAssets } from './operatorPageAssets'
import { pageSecurityHeaders } from './pageSecurityHeaders'
import type { SafeHtml } from './render/html'
import { renderDeadLetterConfirmation } from './render/renderDeadLetterConfirmation'
import { type DeadLettersView, agentNamer } from './render/renderDeadLettersSection'
import { type HistoryView, renderHistorySection } from './render/renderHistorySection'
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
  history: StatusHistory
  facts: RunnerFacts
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

/** Dead letters shown on the page at once; older ones a link away. */
const DEAD_LETTERS_PER_PAGE = 20

/**
 * The operator's page and what it posts to:
 * - GET /: the page (or the sign-in form while the admin key is set and the browser has no session);
 * - GET /ui/assets/*: its one script and one stylesheet;
 * - GET /ui/events: its live updates (Server-Sent Events);
 * - POST /ui/sign-in, /ui/sign-out, /ui/mediator-invitation, /ui/mediators/:id/:action,
 *   /ui/dead-letters/:action: its forms.
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

  const historyView = (): HistoryView => ({
    samples: options.history.samples(),
    stepMs: options.history.stepMs,
    capacity: options.history.capacity,
  })

  const sendPage = async (
    res: Response,
    operator: Operator,
    statusCode: number,
    notice?: Notice,
    deadLettersBefore?: unknown,
  ) => {
    const current = control()
    const status: ProxyMediatorStatus | undefined = current?.getStatus()
    const invitation = await readInvitation(current, logger)
    const deadLetters = await readDeadLetters(current, status, deadLettersBefore, logger)
    res
      .status(statusCode)
      .type('html')
      .send(
        renderOperatorPage({
          status,
          invitation,
          csrfToken: operator.csrfToken,
          signedIn: operator.signedIn,
          notice,
          history: historyView(),
          deadLetters,
          facts: options.facts,
        }),
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
    done: DoneParts | ((result: unknown) => DoneParts),
    call: () => Promise<unknown>,
  ) => {
    try {
      const result = await call()
      res.redirect(303, `/?${doneQuery(typeof done === 'function' ? done(result) : done)}`)
    } catch (error) {
      await showRefusal(res, operator, error)
    }
  }

  /** An error of a form, shown on the page with the status it would have in the API. */
  const showRefusal = async (res: Response, operator: Operator, error: unknown) => {
    const { status, body } = toHttpErrorResponse(error)
    if (status >= 500) logger.error('An action of the operator\u2019s page failed', { error })
    await sendPage(res, operator, status, { kind: 'error', text: body.detail })
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
      const done = doneNotice(req.query)
      await sendPage(
        res,
        operator,
        200,
        done ? { kind: 'success', text: done } : undefined,
        req.query.dead_letters_before,
      )
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
      if (!options.guard.isAdminKey(body?.admin_api_key)) {
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
      (result) => ({
        done:
          (result as { change?: { result?: string } }).change?.result === 'unchanged'
            ? 'mediator-unchanged'
            : 'mediator-connected',
      }),
      () => current.connectToMediator(invitationUrl.url, { primary: !standby }),
    )
  })

  /** The action a form names, and the proxy to act on; else the page says why not (404, or 503 while it starts). */
  const actionAndProxy = async <Action>(
    res: Response,
    operator: Operator,
    action: Action | undefined,
    kind: string,
  ) => {
    const current = control()
    if (action && current) return { action, current }
    await sendPage(res, operator, action ? 503 : 404, {
      kind: 'error',
      text: action ? 'The proxy is starting; try again shortly.' : `There is no such ${kind} action.`,
    })
    return undefined
  }

  formRoute('/ui/mediators/:mediatorId/:action', async (req, res, operator) => {
    const found = await actionAndProxy(res, operator, findMediatorAction(req.params.action), 'mediator')
    if (!found) return
    const { action, current } = found
    const mediatorId = req.params.mediatorId
    logger.info(`Mediator action ${action.name} on ${mediatorId} (operator\u2019s page)`)
    await act(res, operator, { done: `mediator-${action.name}` }, async () => {
      checkConfirmation(action, req.body as Record<string, unknown> | undefined)
      return action.run(current, mediatorId)
    })
  })

  // A dead-letter button posts its selection here; the answer is a page that asks to confirm, whose
  // form posts the same with `confirm=yes`, and only that acts.
  formRoute('/ui/dead-letters/:action', async (req, res, operator) => {
    const found = await actionAndProxy(res, operator, findDeadLetterAction(req.params.action), 'dead-letter')
    if (!found) return
    const { action, current } = found
    const form = req.body as Record<string, unknown> | undefined
    let selection: DeadLetterSelection
    try {
      selection = action.read(form)
    } catch (error) {
      await showRefusal(res, operator, error)
      return
    }
    if (form?.[CONFIRMED_FIELD] !== CONFIRMED_VALUE) {
      res
        .status(200)
        .type('html')
        .send(
          renderDeadLetterConfirmation({
            action: action.name,
            label: action.label,
            question: action.question(selection, agentNamer(current.getStatus().agents)),
            consequence: action.consequence,
            fields: selectionFields(selection),
            csrfToken: operator.csrfToken,
          }),
        )
      return
    }
    await act(
      res,
      operator,
      (result) => result as DeadLetterActionDone,
      () => action.run(current, selection, access.callerOf(operator, req)),
    )
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
    // The history is sent again only when a new step was taken since this page last got it.
    let historySent: string | undefined
    streams.open(res, {
      snapshot: () => {
        if (!access.isStillValid(operator)) return undefined
        const latest = options.history.latest()?.at
        const history = latest === historySent ? undefined : renderHistorySection(historyView())
        historySent = latest
        return liveSnapshot(control(), operator.csrfToken, history)
      },
    })
  })

  return { router, closeStreams: () => streams.closeAll() }
}

/** The `data` of one live update: the numbers for the sparkline and the regions to swap in. */
function liveSnapshot(current: ProxyMediatorControl | undefined, csrfToken: string, history?: SafeHtml): string {
  const status: ProxyMediatorStatus | undefined = current?.getStatus()
  const regions: Record<string, SafeHtml> = { ...renderLiveRegions(status, csrfToken), ...(history ? { history } : {}) }
  return JSON.stringify({
    state: status?.status ?? 'starting',
    counters: status?.counters ?? null,
    regions: Object.fromEntries(Object.entries(regions).map(([name, markup]) => [name, markup.markup])),
  })
}

/**
 * One page of dead letters for the page, from `before` (the `dead_letters_before` of the URL, read
 * as GET /dead-letters reads its cursor; anything else shows the newest). A failure to read them is
 * shown in their card, not instead of the page.
 */
async function readDeadLetters(
  current: ProxyMediatorControl | undefined,
  status: ProxyMediatorStatus | undefined,
  before: unknown,
  logger: Logger,
): Promise<DeadLettersView> {
  if (!current || !status) return { error: 'the proxy is starting; reload shortly.' }
  const query = deadLetterPageQuery.safeParse({ limit: DEAD_LETTERS_PER_PAGE, before })
  const cursor = query.success ? query.data.before : undefined
  try {
    const page = await current.getDeadLetterPage({ limit: DEAD_LETTERS_PER_PAGE, before: cursor })
    return { page, before: cursor, agents: status.agents }
  } catch (error) {
    logger.error('The operator\u2019s page could not read the dead letters', { error })
    return { error: 'the proxy could not read them; its log has the details.' }
  }
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
  const url = typeof value === 'string' ? value.trim() : value
  const problem = invitationUrlProblem(url)
  return problem ? { error: problem } : { url: url as string }
}
