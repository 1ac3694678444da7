import type { Server } from 'node:http'
import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { noDeadLetterActions, proxyStatus, runnerFactsFixture } from '../../__tests__/support/statusFixtures'
import { StatusHistory } from '../../history/StatusHistory'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { createTestHttpApp } from './support/createTestHttpApp'
import { serveOnLoopback } from './support/serveOnLoopback'

const KEY = 'admin-secret'

describe('GET /about and GET /status/history', () => {
  let server: Server
  let baseUrl: string
  let status: ProxyMediatorStatus
  let history: StatusHistory

  beforeEach(async () => {
    status = proxyStatus({ status: 'ready' })
    const control = {
      getStatus: () => status,
      getDeadLetterPage: async () => ({ deadLetters: [] }),
      ...noDeadLetterActions,
    } as unknown as ProxyMediatorControl
    history = new StatusHistory({ read: () => status })
    const httpApp = createTestHttpApp({
      control: () => control,
      history,
      facts: runnerFactsFixture({ port: 3000, walletKey: '(set, not shown)' }),
      adminApiKey: KEY,
    })
    httpApp.finish()
    ;({ server, baseUrl } = await serveOnLoopback(httpApp.adminApp))
  })
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  const get = (path: string, key: string | null = KEY) =>
    fetch(`${baseUrl}${path}`, { headers: key ? { 'x-api-key': key } : {} })

  it('says which versions run, since when, and the configuration the runner was given, to the key holder', async () => {
    expect((await get('/about', null)).status).toBe(401)
    const about = (await (await get('/about')).json()) as Record<string, unknown>
    expect(about).toEqual({
      versions: { runner: '9.8.7', module: '1.2.3', credo: '0.5.19', node: 'v20.0.0' },
      started_at: expect.any(String),
      uptime_seconds: expect.any(Number),
      configuration: { port: 3000, walletKey: '(set, not shown)' },
    })
    // The fixture started an hour ago.
    expect(about.uptime_seconds).toBeGreaterThanOrEqual(3600)
  })

  it('hands out the history as the page draws it, to the key holder', async () => {
    expect((await get('/status/history', null)).status).toBe(401)
    expect(await (await get('/status/history')).json()).toEqual({ step_seconds: 10, samples: [] })
    status = proxyStatus({
      status: 'ready',
      counters: { relayed: 4, failedAttempts: 2, inFlight: 1, deadLettered: 0, outbox: 0, heldInMemory: 0 },
    })
    history.sample()
    expect(await (await get('/status/history')).json()).toEqual({
      step_seconds: 10,
      samples: [{ at: expect.any(String), relayed: 4, failedAttempts: 2, backlog: 1 }],
    })
  })
})
