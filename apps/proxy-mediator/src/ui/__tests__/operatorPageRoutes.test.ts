import type { Server } from 'node:http'
import {
  type MediatorChange,
  MediatorChangeRefusedError,
  MediatorUnreachableError,
  type ProxyMediatorStatus,
} from '@proxy-mediator/proxy-mediator'
import { historyOf, mediatorStatus, noDeadLetterActions, proxyStatus } from '../../__tests__/support/statusFixtures'
import { createTestHttpApp } from '../../http/__tests__/support/createTestHttpApp'
import { serveOnLoopback } from '../../http/__tests__/support/serveOnLoopback'
import { RunnerLogger } from '../../logging/RunnerLogger'
import type { HttpApp } from '../../server/createHttpApp'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { SESSION_COOKIE } from '../sessionCookie'
import { csrfTokenIn, postForm, sessionCookieOf } from './support/pageForms'

// The operator's page in-process, with a stand-in for the module: access, CSRF, escaping,
// errors on the page and the bounds of the event streams. The real browser test is operatorPage.browser.test.ts.

const ADMIN_KEY = 'the-admin-key-of-this-test'
const AGENT_INVITATION = 'http://proxy.internal:3000?oob=eyJ0eXAiOiJ4In0'

const statusWith = proxyStatus
const mediatorWith = mediatorStatus

/** Each call of a mediator action, as `action id [force]`. */
type ActionLog = string[]

function fakeControl(
  status: () => ProxyMediatorStatus,
  connect: (url: string, options?: { primary?: boolean }) => Promise<MediatorChange>,
  actions: ActionLog,
  actionError: () => Error | undefined,
): ProxyMediatorControl {
  const act = async (entry: string, change: MediatorChange) => {
    const error = actionError()
    if (error) throw error
    actions.push(entry)
    return change
  }
  return {
    getStatus: status,
    getAgentInvitation: async () => ({ invitationUrl: AGENT_INVITATION }),
    connectToMediator: async (url, options) => ({ ...status(), change: await connect(url, options) }),
    promoteMediator: (id) => act(`promote ${id}`, { result: 'promoted', mediatorId: id, detail: '' }),
    drainMediator: (id) => act(`drain ${id}`, { result: 'draining', mediatorId: id, detail: '' }),
    removeMediator: (id, options) =>
      act(`remove ${id}${options?.force ? ' force' : ''}`, { result: 'removed', mediatorId: id, detail: '' }),
    announceRoute: async () => 0,
    isAddressedToProxy: async () => false,
    acceptForward: async () => ({ kind: 'not-a-forward' }) as const,
    getDeadLetterPage: async () => ({ deadLetters: [] }),
    ...noDeadLetterActions,
  }
}

interface Running {
  baseUrl: string
  httpApp: HttpApp
  connected: string[]
  /** `primary` of each connect call. */
  connectedAsPrimary: Array<boolean | undefined>
  actions: ActionLog
  setStatus(status: ProxyMediatorStatus): void
  failConnectWith(error: Error): void
  failActionsWith(error: Error | undefined): void
  logLines: string[]
}

async function startApp(adminApiKey: string | undefined, maxStreams = 16): Promise<Running & { server: Server }> {
  let status = statusWith()
  let connectError: Error | undefined
  let actionError: Error | undefined
  const connected: string[] = []
  const connectedAsPrimary: Array<boolean | undefined> = []
  const actions: ActionLog = []
  const logLines: string[] = []
  const control = fakeControl(
    () => status,
    async (url, options) => {
      if (connectError) throw connectError
      const known = connected.includes(url)
      connected.push(url)
      connectedAsPrimary.push(options?.primary)
      status = statusWith({ status: 'ready' })
      return known
        ? { result: 'unchanged', mediatorId: 'm-1', detail: 'already set up' }
        : { result: 'added', mediatorId: `m-${connected.length}`, detail: 'added' }
    },
    actions,
    () => actionError,
  )
  const httpApp = createTestHttpApp({
    control: () => control,
    history: historyOf(() => status),
    logger: new RunnerLogger({ level: 'debug', format: 'json', write: (line) => logLines.push(line) }),
    adminApiKey,
    maxBodySizeBytes: 64 * 1024,
    operatorPageLimits: { maxStreams, streamIntervalMs: 50 },
  })
  httpApp.finish()
  const { server, baseUrl } = await serveOnLoopback(httpApp.adminApp)
  return {
    server,
    baseUrl,
    httpApp,
    connected,
    connectedAsPrimary,
    actions,
    logLines,
    setStatus: (next) => {
      status = next
    },
    failConnectWith: (error) => {
      connectError = error
    },
    failActionsWith: (error) => {
      actionError = error
    },
  }
}

/** Reads an event stream until `until` holds for what came so far, or the stream ends. */
async function readStream(response: Response, until: (text: string) => boolean): Promise<string> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (!until(text)) {
    const { done, value } = await reader.read()
    if (done) break
    text += decoder.decode(value)
  }
  await reader.cancel().catch(() => undefined)
  return text
}

/** Opens a stream, trying again while the server has not yet seen the last one go. */
async function waitForStream(baseUrl: string, cookie: string): Promise<Response> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const response = await fetch(`${baseUrl}/ui/events`, { headers: { cookie } })
    if (response.status === 200 || Date.now() > deadline) return response
    await response.body?.cancel()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("operator's page, with an admin key", () => {
  let running: Running & { server: Server }

  beforeEach(async () => {
    running = await startApp(ADMIN_KEY, 2)
  })
  afterEach(async () => {
    running.httpApp.startDraining()
    running.server.closeAllConnections()
    await new Promise((resolve) => running.server.close(resolve))
  })

  const signIn = async () => {
    const response = await postForm(`${running.baseUrl}/ui/sign-in`, { admin_api_key: ADMIN_KEY })
    expect(response.status).toBe(303)
    return sessionCookieOf(response)
  }

  it('shows the sign-in form (401) to a browser without a session, and refuses a wrong key with a clear message', async () => {
    const page = await fetch(`${running.baseUrl}/`)
    expect(page.status).toBe(401)
    const body = await page.text()
    expect(body).toContain('<label for="admin-api-key">Admin API key</label>')
    expect(body).not.toContain('data-testid="state"')

    const wrong = await postForm(`${running.baseUrl}/ui/sign-in`, { admin_api_key: 'not-the-key' })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    const refusal = await wrong.text()
    expect(refusal).toContain('That is not this proxy\u2019s admin API key')
    expect(refusal).not.toContain('not-the-key')
  })

  it('exchanges the right key for an opaque HttpOnly, SameSite=Strict session cookie, never the key', async () => {
    const { cookie, header } = await signIn()
    expect(header).toMatch(/HttpOnly/)
    expect(header).toMatch(/SameSite=Strict/)
    expect(header).not.toContain(ADMIN_KEY)
    const page = await fetch(`${running.baseUrl}/`, { headers: { cookie } })
    expect(page.status).toBe(200)
    const body = await page.text()
    expect(body).toContain('data-testid="state">init<')
    expect(body).not.toContain(ADMIN_KEY)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    // A made-up session id is no session.
    expect((await fetch(`${running.baseUrl}/`, { headers: { cookie: `${SESSION_COOKIE}=made-up` } })).status).toBe(401)
  })

  it('acts only with the CSRF token of the same session', async () => {
    const { cookie } = await signIn()
    const token = csrfTokenIn(await (await fetch(`${running.baseUrl}/`, { headers: { cookie } })).text())
    const url = `${running.baseUrl}/ui/mediator-invitation`
    const invitation = 'http://mediator:3001?oob=abc'

    const noToken = await postForm(url, { invitation_url: invitation }, cookie)
    expect(noToken.status).toBe(403)
    expect(await noToken.text()).toContain('The form is out of date')
    const other = await signIn()
    const otherToken = csrfTokenIn(
      await (await fetch(`${running.baseUrl}/`, { headers: { cookie: other.cookie } })).text(),
    )
    expect((await postForm(url, { invitation_url: invitation, csrf_token: otherToken }, cookie)).status).toBe(403)
    expect((await postForm(url, { invitation_url: invitation, csrf_token: token })).status).toBe(401)
    expect(running.connected).toEqual([])

    const done = await postForm(url, { invitation_url: invitation, csrf_token: token }, cookie)
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/?done=mediator-connected')
    expect(running.connected).toEqual([invitation])
    const after = await (await fetch(`${running.baseUrl}/?done=mediator-connected`, { headers: { cookie } })).text()
    expect(after).toContain('data-testid="state">ready<')
    expect(after).toContain('Connected to the external mediator')
  })

  it("shows the module's refusal on the page with its status", async () => {
    const { cookie } = await signIn()
    const token = csrfTokenIn(await (await fetch(`${running.baseUrl}/`, { headers: { cookie } })).text())
    running.failConnectWith(new MediatorUnreachableError('The external mediator at mediator:3001 did not answer.'))
    const url = `${running.baseUrl}/ui/mediator-invitation`
    const unreachable = await postForm(
      url,
      { invitation_url: 'http://mediator:3001?oob=abc', csrf_token: token },
      cookie,
    )
    expect(unreachable.status).toBe(502)
    expect(await unreachable.text()).toMatch(/role="alert"[^>]*>.*did not answer/s)
    const notUrl = await postForm(url, { invitation_url: 'not a url', csrf_token: token }, cookie)
    expect(notUrl.status).toBe(400)
    expect(await notUrl.text()).toContain('is not a URL: give the whole invitation URL')
  })

  it('escapes what agents and mediators chose, and renders the fields being added to the module', async () => {
    const { cookie } = await signIn()
    running.setStatus(
      statusWith({
        status: 'setup',
        reason: 'reconnecting <b>soon</b>',
        mediators: [
          mediatorWith('m-1', {
            endpoint: 'http://m"><script>alert(1)</script>',
            reconnects: 3,
            heldMessages: 7,
            lastError: '<b>refused</b>',
          }),
        ],
        agents: [
          {
            connectionId: 'c-1',
            label: '<img src=x onerror=alert(1)>',
            mediationState: 'granted',
            keyCount: 40_001,
            recipientKeys: ['did:key:z6Mk1'],
            lastDeliveryAt: '2026-01-01T00:00:00.000Z',
            state: 'ok',
            backlog: 0,
            failedAttempts: 2,
          },
        ],
      }),
    )
    const body = await (await fetch(`${running.baseUrl}/`, { headers: { cookie } })).text()
    expect(body).not.toContain('<script>alert(1)')
    expect(body).not.toContain('<img src=x')
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(body).toContain('reconnecting &lt;b&gt;soon&lt;/b&gt;')
    expect(body).toContain('data-mediator-id="m-1"')
    expect(body).toContain('did:key:z6Mk1')
    // The status lists the first keys of a long keylist, and says how many it leaves out.
    expect(body).toContain('data-testid="more-keys">and 40,000 more<')
    expect(body).toContain('data-testid="mediator-held">7<')
    expect(body).toContain('&lt;b&gt;refused&lt;/b&gt;')
    expect(body).toContain('data-testid="mediator-actions"')
  })

  it('shows each mediator\u2019s role, grants, held messages and relays, with the actions its role allows', async () => {
    const { cookie } = await signIn()
    running.setStatus(
      statusWith({
        status: 'ready',
        mediators: [
          mediatorWith('m-new', { relaysInFlight: 3 }),
          mediatorWith('m-old', { role: 'draining', namedInGrants: false, heldMessages: 12 }),
          mediatorWith('m-spare', { role: 'standby', namedInGrants: false, heldMessages: 0 }),
        ],
      }),
    )
    const body = await (await fetch(`${running.baseUrl}/`, { headers: { cookie } })).text()
    const row = (id: string) => {
      const match = new RegExp(`<tr data-testid="mediator" data-mediator-id="${id}"[\\s\\S]*?</tr>`).exec(body)
      if (!match) throw new Error(`no row for ${id}`)
      return match[0]
    }
    expect(row('m-new')).toContain('data-testid="mediator-role">primary<')
    expect(row('m-new')).toContain('data-testid="mediator-named-in-grants">yes<')
    expect(row('m-new')).toContain('data-testid="mediator-in-flight">3<')
    expect(row('m-old')).toContain('data-testid="mediator-named-in-grants">no<')
    expect(row('m-old')).toContain('data-testid="mediator-held">12<')
    // The primary of several can be neither drained nor removed: promote another first.
    expect(row('m-new')).not.toContain('data-action=')
    expect(row('m-old')).toContain('data-action="promote"')
    expect(row('m-old')).not.toContain('data-action="drain"')
    expect(row('m-old')).toContain('data-action="remove"')
    expect(row('m-spare')).toContain('data-action="drain"')
    // Removing by force has its own form, with a box that must be ticked.
    expect(row('m-old')).toMatch(/<form[^>]*data-testid="confirm-remove-by-force"[\s\S]*type="checkbox"[^>]*required/)
  })

  it('takes the mediator actions through the module, with the session\u2019s CSRF token only', async () => {
    const { cookie } = await signIn()
    running.setStatus(
      statusWith({
        status: 'ready',
        mediators: [mediatorWith('m-new'), mediatorWith('m-old', { role: 'draining', namedInGrants: false })],
      }),
    )
    const token = csrfTokenIn(await (await fetch(`${running.baseUrl}/`, { headers: { cookie } })).text())
    const action = (id: string, name: string, fields: Record<string, string> = {}, withCookie = cookie) =>
      postForm(`${running.baseUrl}/ui/mediators/${id}/${name}`, { csrf_token: token, ...fields }, withCookie)

    expect((await action('m-old', 'promote', { csrf_token: 'forged' })).status).toBe(403)
    expect((await action('m-old', 'promote', {}, '')).status).toBe(401)
    expect(running.actions).toEqual([])

    const promoted = await action('m-old', 'promote')
    expect(promoted.status).toBe(303)
    expect(promoted.headers.get('location')).toBe('/?done=mediator-promote')
    const after = await (await fetch(`${running.baseUrl}/?done=mediator-promote`, { headers: { cookie } })).text()
    expect(after).toContain('The mediator is primary now')
    expect((await action('m-old', 'drain')).status).toBe(303)
    expect((await action('m-old', 'remove')).status).toBe(303)

    // Without the box ticked, nothing is done.
    const unconfirmed = await action('m-old', 'remove-by-force')
    expect(unconfirmed.status).toBe(400)
    expect(await unconfirmed.text()).toContain('needs its box ticked')
    const wrongBox = await action('m-old', 'remove-by-force', { confirm: 'yes' })
    expect(wrongBox.status).toBe(400)
    expect((await action('m-old', 'remove-by-force', { confirm: 'abandon' })).status).toBe(303)
    expect(running.actions).toEqual(['promote m-old', 'drain m-old', 'remove m-old', 'remove m-old force'])

    const unknown = await action('m-old', 'explode')
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toContain('There is no such mediator action')

    running.failActionsWith(new MediatorChangeRefusedError('m-old still holds 4 messages for the proxy'))
    const refused = await action('m-old', 'remove')
    expect(refused.status).toBe(409)
    expect(await refused.text()).toMatch(/role="alert"[^>]*>.*still holds 4 messages/s)
    expect(running.actions).toHaveLength(4)
  })

  it('adds a mediator as standby from the form, and says when it was known already', async () => {
    const { cookie } = await signIn()
    const token = csrfTokenIn(await (await fetch(`${running.baseUrl}/`, { headers: { cookie } })).text())
    const url = `${running.baseUrl}/ui/mediator-invitation`
    const invitation = 'http://mediator:3001?oob=abc'
    const added = await postForm(url, { invitation_url: invitation, csrf_token: token, standby: 'yes' }, cookie)
    expect(added.headers.get('location')).toBe('/?done=mediator-connected')
    const again = await postForm(url, { invitation_url: invitation, csrf_token: token }, cookie)
    expect(again.headers.get('location')).toBe('/?done=mediator-unchanged')
    expect(running.connectedAsPrimary).toEqual([false, true])
  })

  it('streams snapshots to a signed-in page only, bounded in number, and ends them on sign-out and on draining', async () => {
    expect((await fetch(`${running.baseUrl}/ui/events`)).status).toBe(401)
    const { cookie } = await signIn()
    const first = await fetch(`${running.baseUrl}/ui/events`, { headers: { cookie } })
    expect(first.headers.get('content-type')).toContain('text/event-stream')
    const second = await fetch(`${running.baseUrl}/ui/events`, { headers: { cookie } })
    expect(second.status).toBe(200)
    const third = await fetch(`${running.baseUrl}/ui/events`, { headers: { cookie } })
    expect(third.status).toBe(429)
    expect(await third.json()).toMatchObject({ error: 'too_many_streams' })
    // A HEAD would otherwise hold a stream open with nothing to read it.
    expect((await fetch(`${running.baseUrl}/ui/events`, { method: 'HEAD', headers: { cookie } })).status).toBe(405)

    // Two snapshots in a row show the stream is pushed, not a one-off answer.
    const pushed = await readStream(first, (text) => (text.match(/event: status/g) ?? []).length >= 2)
    expect(pushed).toContain('"state":"init"')
    expect(pushed).not.toContain(ADMIN_KEY)
    // readStream cancelled the first: a page that goes away frees its place for the next.
    const replacement = await waitForStream(running.baseUrl, cookie)
    expect(replacement.status).toBe(200)

    const token = csrfTokenIn(await (await fetch(`${running.baseUrl}/`, { headers: { cookie } })).text())
    expect((await postForm(`${running.baseUrl}/ui/sign-out`, { csrf_token: token }, cookie)).status).toBe(303)
    expect(await readStream(second, () => false)).toContain('"reason":"signed-out"')
    expect(await readStream(replacement, () => false)).toContain('"reason":"signed-out"')
    expect((await fetch(`${running.baseUrl}/`, { headers: { cookie } })).status).toBe(401)

    const again = await signIn()
    const open = await fetch(`${running.baseUrl}/ui/events`, { headers: { cookie: again.cookie } })
    running.httpApp.startDraining()
    expect(await readStream(open, () => false)).toContain('"reason":"shutdown"')
  })
})

describe("operator's page, without an admin key", () => {
  let running: Running & { server: Server }

  beforeEach(async () => {
    running = await startApp(undefined)
  })
  afterEach(async () => {
    running.httpApp.startDraining()
    await new Promise((resolve) => running.server.close(resolve))
  })

  it('is open, but its forms still need the CSRF token bound to the browser', async () => {
    const page = await fetch(`${running.baseUrl}/`)
    expect(page.status).toBe(200)
    const { cookie } = sessionCookieOf(page)
    const body = await page.text()
    expect(body).toContain('data-testid="state">init<')
    expect(body).toContain(AGENT_INVITATION)
    expect(body).toMatch(/<svg[^>]*role="img"/)
    const url = `${running.baseUrl}/ui/mediator-invitation`
    const invitation = 'http://mediator:3001?oob=abc'
    expect((await postForm(url, { invitation_url: invitation }, cookie)).status).toBe(403)
    expect((await postForm(url, { invitation_url: invitation, csrf_token: csrfTokenIn(body) })).status).toBe(403)
    expect(running.connected).toEqual([])
    expect((await postForm(url, { invitation_url: invitation, csrf_token: csrfTokenIn(body) }, cookie)).status).toBe(
      303,
    )
    expect(running.connected).toEqual([invitation])
  })

  it('streams only to sessions it gave, and takes no form from another site’s page', async () => {
    // Made-up cookies: before, any id was a session here, and 16 of them held every stream.
    for (let index = 0; index < 20; index++) {
      const madeUp = await fetch(`${running.baseUrl}/ui/events`, {
        headers: { cookie: `${SESSION_COOKIE}=made-up-${index}` },
      })
      expect(madeUp.status).toBe(401)
      await madeUp.body?.cancel()
    }
    const page = await fetch(`${running.baseUrl}/`)
    const { cookie } = sessionCookieOf(page)
    const stream = await fetch(`${running.baseUrl}/ui/events`, { headers: { cookie } })
    expect(stream.status).toBe(200)
    await stream.body?.cancel()

    const fields = { invitation_url: 'http://mediator:3001?oob=abc', csrf_token: csrfTokenIn(await page.text()) }
    const forged = await fetch(`${running.baseUrl}/ui/mediator-invitation`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams(fields).toString(),
    })
    expect(forged.status).toBe(403)
    expect(running.connected).toEqual([])
  })

  it('leaves POST / to the DIDComm endpoint', async () => {
    const response = await fetch(`${running.baseUrl}/`, { method: 'POST', headers: { 'content-type': 'text/plain' } })
    expect(response.status).not.toBe(200)
    expect(await response.json()).toMatchObject({ error: expect.any(String) })
  })
})
