import type { Server } from 'node:http'
import { request } from 'node:http'
import { noDeadLetterActions, proxyStatus } from '../../__tests__/support/statusFixtures'
import { RunnerLogger } from '../../logging/RunnerLogger'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { createTestHttpApp } from './support/createTestHttpApp'
import { serveOnLoopback } from './support/serveOnLoopback'

// Wrong admin keys are limited per address, by x-api-key and by the page's sign-in together; right
// keys never count. express-rate-limit keeps the counts; the window is long enough not to end here.

const KEY = 'the-admin-key'
const MAX_FAILURES = 3

const control = {
  getStatus: () => proxyStatus({ status: 'ready' }),
  getDeadLetterPage: async () => ({ deadLetters: [] }),
  ...noDeadLetterActions,
} as unknown as ProxyMediatorControl

/** A GET from a chosen loopback address (127.0.0.0/8 is all this host's), to tell addresses apart. */
function get(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  localAddress = '127.0.0.1',
): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { headers, localAddress }, (res) => {
      let body = ''
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the limit on wrong admin keys', () => {
  let server: Server
  let baseUrl: string
  let logLines: string[]

  beforeEach(async () => {
    logLines = []
    const httpApp = createTestHttpApp({
      control: () => control,
      logger: new RunnerLogger({ level: 'info', format: 'json', write: (line) => logLines.push(line) }),
      adminApiKey: KEY,
      adminKeyLimits: { maxFailures: MAX_FAILURES, failureWindowMs: 10 * 60 * 1000 },
      maxBodySizeBytes: 64 * 1024,
    })
    httpApp.finish()
    ;({ server, baseUrl } = await serveOnLoopback(httpApp.adminApp))
  })
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  it('answers 401 to the first wrong keys of an address, then 429 with Retry-After, even to the right key', async () => {
    for (let attempt = 1; attempt <= MAX_FAILURES; attempt++) {
      expect((await get(baseUrl, '/dead-letters', { 'x-api-key': `guess-${attempt}` })).status).toBe(401)
    }
    const blocked = await get(baseUrl, '/dead-letters', { 'x-api-key': 'guess-again' })
    expect(blocked.status).toBe(429)
    expect(JSON.parse(blocked.body)).toEqual({
      error: 'too_many_attempts',
      detail: expect.stringContaining('try again in'),
    })
    const seconds = Number(blocked.retryAfter)
    expect(Number.isInteger(seconds) && seconds > 0 && seconds <= 600).toBe(true)
    // A right guess now is refused too, or guessing would go on at the speed of the port.
    expect((await get(baseUrl, '/dead-letters', { 'x-api-key': KEY })).status).toBe(429)
    // Another address is not held to this one's mistakes.
    expect((await get(baseUrl, '/dead-letters', { 'x-api-key': KEY }, '127.0.0.2')).status).toBe(200)
    // Open routes stay open to the blocked address; a request without a key is no guess.
    expect((await get(baseUrl, '/health', {})).status).toBe(200)
    expect((await get(baseUrl, '/status', {})).status).toBe(200)
    expect(logLines.join('\n')).toContain('too_many_attempts')
  })

  it('never counts right keys, however many come at once, nor requests without a key', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        get(baseUrl, index % 2 === 0 ? '/dead-letters' : '/status', index % 4 === 1 ? {} : { 'x-api-key': KEY }),
      ),
    )
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([200]))
    expect((await get(baseUrl, '/mediators', {})).status).toBe(401)
    expect((await get(baseUrl, '/mediators', {})).status).toBe(401)
    expect((await get(baseUrl, '/mediators', {})).status).toBe(401)
    expect((await get(baseUrl, '/mediators', {})).status).toBe(401)
    for (let attempt = 1; attempt <= MAX_FAILURES; attempt++) {
      expect((await get(baseUrl, '/dead-letters', { 'x-api-key': 'wrong' })).status).toBe(401)
    }
    expect((await get(baseUrl, '/dead-letters', { 'x-api-key': 'wrong' })).status).toBe(429)
  })

  it('counts a wrong key on /status, which still answers its state, and the page’s sign-in with the same count', async () => {
    const status = await get(baseUrl, '/status', { 'x-api-key': 'wrong' })
    expect([status.status, JSON.parse(status.body)]).toEqual([200, { status: 'ready' }])
    const signIn = (key: string) =>
      fetch(`${baseUrl}/ui/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ admin_api_key: key }),
        redirect: 'manual',
      })
    expect((await signIn('wrong-1')).status).toBe(401)
    expect((await signIn('wrong-2')).status).toBe(401)
    const blocked = await signIn(KEY)
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    const page = await blocked.text()
    expect(page).toContain('<form method="post" action="/ui/sign-in"')
    expect(page).toContain('wrong admin keys came from this address')
    expect(blocked.headers.get('set-cookie')).toBeNull()
    expect((await get(baseUrl, '/dead-letters', { 'x-api-key': KEY })).status).toBe(429)
  })
})
