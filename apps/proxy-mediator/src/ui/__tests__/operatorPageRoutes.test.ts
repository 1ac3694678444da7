import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MediatorUnreachableError } from '@proxy-mediator/proxy-mediator'
import { Registry } from 'prom-client'
import type { ProxyMediatorControl } from '../../http/ProxyMediatorControl'
import { createHttpApp, type HttpApp } from '../../http/createHttpApp'
import { RunnerLogger } from '../../logging/RunnerLogger'
import type { OperatorStatus } from '../OperatorStatus'
import { SESSION_COOKIE } from '../sessionCookie'

// The operator's page in-process, with a stand-in for the module: access, CSRF, escaping,
// errors on the page and the bounds of the event streams. The real browser test is operatorPage.browser.test.ts.

const ADMIN_KEY = 'the-admin-key-of-this-test'
const AGENT_INVITATION = 'http://proxy.internal:3000?oob=eyJ0eXAiOiJ4In0'

function statusWith(overrides: Partial<OperatorStatus> = {}): OperatorStatus {
  return {
    status: 'init',
    upstream: { routingKeys: [], socketState: 'none', reconnects: 0 },
    agents: [],
    counters: { relayed: 0, retried: 0, failed: 0, deadLettered: 0, inFlight: 0, outbox: 0 },
    ...overrides,
  }
}

function fakeControl(status: () => OperatorStatus, connect: (url: string) => Promise<unknown>): ProxyMediatorControl {
  return {
    getStatus: status as ProxyMediatorControl['getStatus'],
    getAgentInvitation: async () => ({ invitationUrl: AGENT_INVITATION }),
    connectToMediator: connect,
    isAddressedToProxy: async () => false,
    acceptForward: async () => ({ kind: 'not-for-routing-key' }) as const,
    getDeadLetters: async () => [],
  }
}

interface Running {
  baseUrl: string
  httpApp: HttpApp
  connected: string[]
  setStatus(status: OperatorStatus): void
  failConnectWith(error: Error): void
  logLines: string[]
}

async function startApp(adminApiKey: string | undefined, maxStreams = 16): Promise<Running & { server: Server }> {
  let status = statusWith()
  let connectError: Error | undefined
  const connected: string[] = []
  const logLines: string[] = []
  const control = fakeControl(
    () => status,
    async (url) => {
      if (connectError) throw connectError
      connected.push(url)
      status = statusWith({ status: 'ready' })
    },
  )
  const httpApp = createHttpApp({
    control: () => control,
    registry: new Registry(),
    logger: new RunnerLogger({ level: 'debug', format: 'json', write: (line) => logLines.push(line) }),
    adminApiKey,
    maxBodySizeBytes: 64 * 1024,
    envelopeLimits: { maxRecipients: 4, maxProtectedHeaderBytes: 512 },
    operatorPageLimits: { maxStreams, streamIntervalMs: 50 },
  })
  httpApp.finish()
  const server = createServer(httpApp.app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    server,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    httpApp,
    connected,
    logLines,
    setStatus: (next) => {
      status = next
    },
    failConnectWith: (error) => {
      connectError = error
    },
  }
}

const sessionCookieOf = (response: Response) => {
  const cookie = response.headers.get('set-cookie') ?? ''
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(cookie)
  if (!match) throw new Error(`no session cookie in ${JSON.stringify(cookie)}`)
  return { cookie: `${SESSION_COOKIE}=${match[1]}`, header: cookie }
}

const csrfTokenIn = (page: string) => {
  const match = /name="csrf_token" value="([^"]+)"/.exec(page)
  if (!match) throw new Error('no CSRF token in the page')
  return match[1]
}

const postForm = (url: string, fields: Record<string, string>, cookie?: string) =>
  fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  })

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
    expect(await notUrl.text()).toContain('That is not a URL')
  })

  it('escapes what agents and mediators chose, and renders the fields being added to the module', async () => {
    const { cookie } = await signIn()
    running.setStatus(
      statusWith({
        status: 'setup',
        reason: 'reconnecting <b>soon</b>',
        mediators: [
          {
            id: 'm-1',
            role: 'primary',
            endpoint: 'http://m"><script>alert(1)</script>',
            socketState: 'open',
            reconnects: 3,
            heldMessages: 7,
          },
        ],
        agents: [
          {
            connectionId: 'c-1',
            label: '<img src=x onerror=alert(1)>',
            mediationState: 'granted',
            keyCount: 1,
            recipientKeys: ['did:key:z6Mk1'],
            lastDeliveryAt: '2026-01-01T00:00:00.000Z',
            failures: 2,
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
    expect(body).toMatch(/<td>7<\/td>/)
    expect(body).toContain('data-testid="mediator-actions"')
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

  it('leaves POST / to the DIDComm endpoint', async () => {
    const response = await fetch(`${running.baseUrl}/`, { method: 'POST', headers: { 'content-type': 'text/plain' } })
    expect(response.status).not.toBe(200)
    expect(await response.json()).toMatchObject({ error: expect.any(String) })
  })
})
