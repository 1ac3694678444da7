import type { Server } from 'node:http'
import type { DeadLetterActor, DeadLetterView, ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { proxyStatus, runnerFactsFixture } from '../../__tests__/support/statusFixtures'
import { StatusHistory } from '../../history/StatusHistory'
import { createTestHttpApp } from '../../http/__tests__/support/createTestHttpApp'
import { serveOnLoopback } from '../../http/__tests__/support/serveOnLoopback'
import type { HttpApp } from '../../server/createHttpApp'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { csrfTokenIn, postForm, sessionCookieOf } from './support/pageForms'

// The operator's page when something is wrong, in-process over a stand-in for the module: the
// degraded state with who and why, the dead letters and their actions (a confirmation first, then
// the module, with the session as `by`), the history and what runs. The browser test does it for real.

const ADMIN_KEY = 'page-trouble-admin-key'
const AGENT = 'c-agent-1'

const degraded = (): ProxyMediatorStatus =>
  proxyStatus({
    status: 'degraded',
    reason: `Agent ${AGENT} (role-agent): relays failing for 45 s: connection refused by http://127.0.0.1:9: is the agent running?`,
    agents: [
      {
        connectionId: AGENT,
        label: 'role-agent',
        mediationState: 'granted',
        keyCount: 1,
        recipientKeys: ['did:key:z6MkAgent'],
        endpoint: 'http://127.0.0.1:9',
        state: 'failing',
        failingSince: '2026-01-01T00:00:00.000Z',
        lastError: 'connection refused by http://127.0.0.1:9: is the agent running?',
        backlog: 12,
        oldestUndeliveredMs: 45_000,
        failedAttempts: 30,
      },
    ],
    counters: { relayed: 3, deadLettered: 2, inFlight: 12, failedAttempts: 30, outbox: 0, heldInMemory: 0 },
  })

const LETTERS: DeadLetterView[] = [
  {
    id: 'dl-2',
    at: '2026-01-01T00:02:00.000Z',
    reason: 'no agent registered key did:key:z6MkAgent',
    recipientKey: 'did:key:z6MkAgent',
    agentConnectionId: AGENT,
    envelopeBytes: 2048,
    replayable: true,
  },
  {
    id: 'dl-1',
    at: '2026-01-01T00:01:00.000Z',
    reason: 'cannot decrypt envelope <b>bold</b>',
    envelopeBytes: 900_000,
    envelopeDigest: 'abc',
    replayable: false,
  },
]

interface Running {
  server: Server
  httpApp: HttpApp
  baseUrl: string
  calls: Array<{ call: string; by?: string }>
  history: StatusHistory
}

async function start(): Promise<Running> {
  const calls: Running['calls'] = []
  const record = <T>(call: string, actor: DeadLetterActor | undefined, answer: T) => {
    calls.push({ call, by: actor?.by })
    return Promise.resolve(answer)
  }
  const control = {
    getStatus: degraded,
    getAgentInvitation: async () => ({ invitationUrl: 'http://proxy.internal:3000?oob=eyJ0eXAiOiJ4In0' }),
    getDeadLetterPage: async (query?: { limit?: number; before?: string }) => {
      calls.push({ call: `page ${query?.limit} ${query?.before ?? 'newest'}` })
      return query?.before ? { deadLetters: [] } : { deadLetters: LETTERS, next: '1767225660000.dl-1' }
    },
    replayDeadLetters: (ids: readonly string[], actor?: DeadLetterActor) =>
      record(`replay ${ids.join(',')}`, actor, { replayed: [...ids], refused: [] }),
    replayDeadLettersOf: (connectionId: string, actor?: DeadLetterActor) =>
      record(`replay-agent ${connectionId}`, actor, { replayed: ['dl-2'], refused: [{ id: 'dl-9', reason: 'gone' }] }),
    deleteDeadLetters: (ids: readonly string[], actor?: DeadLetterActor) =>
      record(`delete ${ids.join(',')}`, actor, ids.length),
    deleteAllDeadLetters: (options?: { connectionId?: string } & DeadLetterActor) =>
      record(`delete-all ${options?.connectionId ?? 'every'}`, options, 2),
  } as unknown as ProxyMediatorControl
  const history = new StatusHistory({ read: degraded })
  const httpApp = createTestHttpApp({
    control: () => control,
    history,
    facts: runnerFactsFixture({ port: 3000, walletKey: '(set, not shown)', adminApiKey: '(set, not shown)' }),
    adminApiKey: ADMIN_KEY,
    maxBodySizeBytes: 64 * 1024,
    operatorPageLimits: { streamIntervalMs: 50 },
  })
  httpApp.finish()
  const { server, baseUrl } = await serveOnLoopback(httpApp.adminApp)
  return { server, httpApp, baseUrl, calls, history }
}

describe("operator's page when something is wrong", () => {
  let running: Running
  let cookie: string

  beforeEach(async () => {
    running = await start()
    const signedIn = await postForm(`${running.baseUrl}/ui/sign-in`, { admin_api_key: ADMIN_KEY })
    cookie = sessionCookieOf(signedIn).cookie
  })
  afterEach(async () => {
    running.httpApp.startDraining()
    running.server.closeAllConnections()
    await new Promise((resolve) => running.server.close(resolve))
  })

  const page = async (path = '/') => (await fetch(`${running.baseUrl}${path}`, { headers: { cookie } })).text()

  it('says degraded in words and in its own colour, with who and why, and the failing agent’s cause, since when and backlog', async () => {
    const html = await page()
    expect(html).toContain('<span class="state-badge state-degraded" data-testid="state">degraded</span>')
    expect(html).toContain('Pickup runs, but something fails')
    expect(html).toContain('relays failing for 45 s: connection refused by http://127.0.0.1:9')
    expect(html).toContain('class="state-reason state-reason-degraded"')
    expect(html).toMatch(/data-testid="agent-failing">failing since <time datetime="2026-01-01T00:00:00.000Z">/)
    expect(html).toContain('<span data-testid="agent-backlog">12 waiting</span>')
  })

  it('lists the dead letters without their content, escaped, with the agent by name, and pages to older ones', async () => {
    const html = await page()
    expect(html).toContain('data-dead-letter-id="dl-2"')
    expect(html).toContain('agent role-agent (c-agent-1)')
    expect(html).toContain('2.0 KiB')
    expect(html).toContain('878.9 KiB')
    expect(html).toContain('cannot decrypt envelope &lt;b&gt;bold&lt;/b&gt;')
    // The one kept as a digest cannot be relayed again: no such button in its row.
    const row = html.slice(
      html.indexOf('data-dead-letter-id="dl-1"'),
      html.indexOf('</tr>', html.indexOf('data-dead-letter-id="dl-1"')),
    )
    expect(row).not.toContain('data-dead-letter-action="replay"')
    expect(row).toContain('data-dead-letter-action="delete"')
    expect(html).toContain('href="/?dead_letters_before=1767225660000.dl-1#dead-letters-heading"')
    const older = await page('/?dead_letters_before=1767225660000.dl-1')
    expect(older).toContain('No older dead letters.')
    // A cursor that is none is not passed on: the newest page.
    await page('/?dead_letters_before=%3Cscript%3E')
    expect(running.calls.map(({ call }) => call)).toEqual([
      'page 20 newest',
      'page 20 1767225660000.dl-1',
      'page 20 newest',
    ])
  })

  it('asks before relaying again, then relays through the module with the session as who, and says how many', async () => {
    const token = csrfTokenIn(await page())
    const url = `${running.baseUrl}/ui/dead-letters/replay`
    const asked = await postForm(url, { csrf_token: token, ids: 'dl-2' }, cookie)
    expect(asked.status).toBe(200)
    const confirmation = await asked.text()
    expect(confirmation).toContain('Relay dead letter dl-2 again?')
    expect(confirmation).toContain('name="confirm" value="yes"')
    expect(confirmation).toContain('name="ids" value="dl-2"')
    expect(running.calls.filter(({ call }) => !call.startsWith('page'))).toEqual([])

    const done = await postForm(url, { csrf_token: token, ids: 'dl-2', confirm: 'yes' }, cookie)
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/?done=dead-letters-replayed&count=1&refused=0')
    const [action] = running.calls.filter(({ call }) => !call.startsWith('page'))
    expect(action.call).toBe('replay dl-2')
    expect(action.by).toMatch(/^page session [0-9a-f]{8} from 127\.0\.0\.1$/)
    expect(action.by).not.toContain(cookie.split('=')[1])
    expect(await page('/?done=dead-letters-replayed&count=1&refused=0')).toContain('1 dead letter is relayed again')
  })

  it('relays all of an agent’s again and deletes all of an agent’s, or all, each after its confirmation', async () => {
    const token = csrfTokenIn(await page())
    const act = (action: string, fields: Record<string, string>) =>
      postForm(`${running.baseUrl}/ui/dead-letters/${action}`, { csrf_token: token, ...fields }, cookie)
    expect(await (await act('replay', { connection_id: AGENT })).text()).toContain(
      'Relay every dead letter of agent role-agent (c-agent-1) again?',
    )
    expect((await act('replay', { connection_id: AGENT, confirm: 'yes' })).headers.get('location')).toBe(
      '/?done=dead-letters-replayed&count=1&refused=1',
    )
    expect(await (await act('delete', { all: 'yes' })).text()).toContain('Delete every dead letter for good?')
    expect((await act('delete', { all: 'yes', confirm: 'yes' })).headers.get('location')).toBe(
      '/?done=dead-letters-deleted&count=2',
    )
    expect((await act('delete', { connection_id: AGENT, confirm: 'yes' })).status).toBe(303)
    expect(running.calls.filter(({ call }) => !call.startsWith('page')).map(({ call }) => call)).toEqual([
      `replay-agent ${AGENT}`,
      'delete-all every',
      `delete-all ${AGENT}`,
    ])
    const notice = await page('/?done=dead-letters-replayed&count=1&refused=1')
    expect(notice).toContain('1 could not be taken and stays a dead letter')
  })

  it('refuses an action without the session’s token, or naming nothing, and does nothing', async () => {
    const url = `${running.baseUrl}/ui/dead-letters/delete`
    expect((await postForm(url, { csrf_token: 'forged', all: 'yes', confirm: 'yes' }, cookie)).status).toBe(403)
    const token = csrfTokenIn(await page())
    const nothing = await postForm(url, { csrf_token: token, confirm: 'yes' }, cookie)
    expect(nothing.status).toBe(400)
    expect(await nothing.text()).toContain('Name exactly one of ids, connection_id, all')
    const replayAll = await postForm(
      `${running.baseUrl}/ui/dead-letters/replay`,
      { csrf_token: token, all: 'yes', confirm: 'yes' },
      cookie,
    )
    expect(replayAll.status).toBe(400)
    expect((await postForm(`${running.baseUrl}/ui/dead-letters/explode`, { csrf_token: token }, cookie)).status).toBe(
      404,
    )
    expect(running.calls.filter(({ call }) => !call.startsWith('page'))).toEqual([])
  })

  it('draws the history at load time, and names what runs and with which settings, secrets masked', async () => {
    expect(await page()).toContain('data-testid="history" data-history-samples="0"')
    running.history.sample()
    running.history.sample()
    const html = await page()
    expect(html).toContain('data-history-samples="2"')
    expect(html).toMatch(/<polyline class="series series-relayed" points="[^"]+"/)
    expect(html).toContain('Backlog (taken, not delivered): now 12')
    expect(html).toContain('<dd data-testid="version-runner">9.8.7</dd>')
    expect(html).toContain('@proxy-mediator/proxy-mediator 1.2.3')
    expect(html).toContain('up 1 h 0 min')
    expect(html).toContain('<dt>adminApiKey</dt><dd class="mono">(set, not shown)</dd>')
    expect(html).not.toContain(ADMIN_KEY)
  })
})
