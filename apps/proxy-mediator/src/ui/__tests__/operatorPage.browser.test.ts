// Callbacks passed to page.evaluate run in the browser: they are typed against the DOM.
/// <reference lib="dom" />
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core'
import type { ProcessTopology } from '../../__tests__/faults/support/processTopology'
import { axeViolations } from './support/axeViolations'
import { decodeQrCode } from './support/decodeQrCode'
import { systemChromium } from './support/systemChromium'
import { startTopologyInInit } from './support/topologyInInit'

// The operator's page in Debian's Chromium, against the real runner (a child process) and a real
// topology: an external mediator, an HTTP-only agent and a sender, each its own process. The
// proxy starts in `init`; the page is what sets it up. The tests run in order, on one topology.

const ADMIN_KEY = 'operator-page-admin-key'
const MESSAGE = 'operator-page-message-1'
/** Generous: three Credo processes and a browser share two cores with other work. */
const DEADLINE_MS = 60_000
const ARTIFACTS = join(__dirname, 'artifacts')

declare global {
  interface Window {
    /** Set once in the page: still there later means the page was never reloaded. */
    operatorPageNotReloaded?: boolean
    cspViolations?: string[]
  }
}

describe("operator's page in a real browser", () => {
  let topology: ProcessTopology
  let browser: Browser
  /** The operator's browser: its cookies are the session. */
  let operator: BrowserContext
  let page: Page
  let baseUrl: string

  beforeAll(async () => {
    // First, so that a machine without a browser fails at once, saying how to install one.
    const executablePath = systemChromium()
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      // As root (CI, the container test) Chromium's sandbox cannot start; /dev/shm is small in containers.
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    })
    topology = await startTopologyInInit(ADMIN_KEY)
    // The page is on the admin listener.
    baseUrl = topology.proxy.adminUrl
    operator = await browser.createBrowserContext()
    page = await operator.newPage()
    await page.setViewport({ width: 1280, height: 900 })
    // Records every CSP violation of the page itself (axe, injected elsewhere, is not counted).
    await page.evaluateOnNewDocument(() => {
      window.cspViolations = []
      document.addEventListener('securitypolicyviolation', (event) => {
        window.cspViolations?.push(`${event.violatedDirective}: ${event.blockedURI}`)
      })
    })
  }, 240_000)

  afterAll(async () => {
    await browser?.close()
    await topology?.stop()
  })

  const textOf = (selector: string) => page.$eval(selector, (element) => element.textContent?.trim() ?? '')

  it('refuses a wrong admin key with a clear message (401), and shows nothing of the proxy before sign-in', async () => {
    const first = await page.goto(`${baseUrl}/`)
    expect(first?.status()).toBe(401)
    expect(first?.headers()['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(await page.$('[data-testid="state"]')).toBeNull()

    await page.type('#admin-api-key', 'not-the-admin-key')
    const [refused] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')])
    expect(refused?.status()).toBe(401)
    expect(await textOf('[data-testid="notice-error"]')).toContain('not this proxy\u2019s admin API key')
    expect(await page.$eval('#admin-api-key', (input) => (input as HTMLInputElement).value)).toBe('')
    expect(await operator.cookies()).toEqual([])
  })

  it('signs in with the key, into a session cookie that is not the key, and shows init', async () => {
    await page.type('#admin-api-key', ADMIN_KEY)
    const [signedIn] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')])
    expect(signedIn?.status()).toBe(200)
    const cookies = await operator.cookies()
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
    expect(cookies[0].value).not.toContain(ADMIN_KEY)
    expect(await textOf('[data-testid="state"]')).toBe('init')
    expect(await page.content()).not.toContain(ADMIN_KEY)
  })

  it('sets the proxy up from the page, with the keyboard alone: /status goes from init to ready', async () => {
    expect((await topology.status()).status).toBe('init')
    const mediatorInvitation = await topology.mediator.request<string>('invitation')

    // Tab to the field as a keyboard user would, type the URL, press Enter to submit.
    let focused = ''
    for (let presses = 0; presses < 30 && focused !== 'mediator-invitation-url'; presses++) {
      await page.keyboard.press('Tab')
      focused = await page.evaluate(() => document.activeElement?.id ?? '')
    }
    expect(focused).toBe('mediator-invitation-url')
    await page.keyboard.sendCharacter(mediatorInvitation)
    const [answer] = await Promise.all([page.waitForNavigation({ timeout: DEADLINE_MS }), page.keyboard.press('Enter')])
    expect(answer?.url()).toBe(`${baseUrl}/?done=mediator-connected`)
    expect(await textOf('[data-testid="notice-success"]')).toContain('Connected to the external mediator')

    const status = await topology.waitForProxyStatus('ready', DEADLINE_MS)
    expect(status.upstream.socketState).toBe('open')
    await page.waitForFunction(() => document.querySelector('[data-testid="state"]')?.textContent?.trim() === 'ready', {
      timeout: DEADLINE_MS,
    })
    expect(await page.$('[data-testid="upstream"]')).not.toBeNull()
  })

  it('shows the agent and moves the relayed counter live when a message goes through, with no reload', async () => {
    await page.evaluate(() => {
      window.operatorPageNotReloaded = true
    })
    await page.waitForFunction(
      () => document.querySelector('[data-testid="live-state"]')?.textContent?.startsWith('Live:'),
      { timeout: DEADLINE_MS },
    )
    const invitation = await topology.proxy.getJson<{ invitation_url: string }>('/retrieve_agent_invitation')
    await topology.agent.request('useProxy', invitation?.body.invitation_url)
    await topology.sender.request('connect', await topology.agent.request<string>('mediatedInvitation'))
    await page.waitForSelector('[data-testid="agent"]', { timeout: DEADLINE_MS })

    const relayedBefore = Number(await textOf('[data-counter="relayed"]'))
    await topology.sender.request('send', MESSAGE)
    await topology.waitForDelivery([MESSAGE], DEADLINE_MS)
    await page.waitForFunction(
      (before) => Number(document.querySelector('[data-counter="relayed"]')?.textContent) > before,
      { timeout: DEADLINE_MS },
      relayedBefore,
    )
    // What the page shows came from the API: at most what /status says now (later relays may follow).
    const shown = Number(await textOf('[data-counter="relayed"]'))
    expect(shown).toBeLessThanOrEqual((await topology.status()).counters.relayed)
    expect(await page.evaluate(() => window.operatorPageNotReloaded)).toBe(true)
    // The sparkline is drawn from the counter: points, and a rate in its caption.
    const points = await page.$eval('[data-sparkline-line]', (line) => line.getAttribute('points') ?? '')
    expect(points.split(' ').length).toBeGreaterThan(1)
    expect(await textOf('[data-testid="throughput"]')).toMatch(/^now \d+(\.\d)?\/s, peak \d+(\.\d)?\/s$/)

    // Neither the key nor any message content is ever in the page.
    const content = await page.content()
    expect(content).not.toContain(MESSAGE)
    expect(content).not.toContain(ADMIN_KEY)

    mkdirSync(ARTIFACTS, { recursive: true })
    writeFileSync(join(ARTIFACTS, 'operator-page.png'), await page.screenshot({ fullPage: true }))
  })

  it('shows the agent invitation as a QR code that decodes to exactly the URL of /retrieve_agent_invitation', async () => {
    const answer = await topology.proxy.getJson<{ invitation_url: string }>('/retrieve_agent_invitation')
    const invitationUrl = answer?.body.invitation_url
    expect(invitationUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\?oob=/)
    const qrCode = await page.$('[data-testid="invitation-qr"] svg')
    if (!qrCode) throw new Error('no QR code in the page')
    expect(decodeQrCode(await qrCode.screenshot({ type: 'png' }))).toBe(invitationUrl)
    expect(await page.$eval('[data-testid="invitation-url"]', (field) => (field as HTMLTextAreaElement).value)).toBe(
      invitationUrl,
    )
    // With JavaScript, the copy button is there and says what it did.
    await page.click('[data-copy-target="agent-invitation-url"]')
    await page.waitForFunction(() => document.querySelector('[data-copy-result]')?.textContent !== '', {
      timeout: DEADLINE_MS,
    })
    expect(await textOf('[data-copy-result]')).toMatch(/Copied|press Ctrl\+C/)
  })

  it('reads complete without JavaScript', async () => {
    const noScript = await operator.newPage()
    try {
      await noScript.setJavaScriptEnabled(false)
      const response = await noScript.goto(`${baseUrl}/`)
      expect(response?.status()).toBe(200)
      const state = await noScript.$eval('[data-testid="state"]', (element) => element.textContent?.trim())
      expect(state).toBe('ready')
      const relayed = await noScript.$eval('[data-counter="relayed"]', (element) => Number(element.textContent))
      expect(relayed).toBeGreaterThan(0)
      expect(await noScript.$('[data-testid="agent"]')).not.toBeNull()
      expect(await noScript.$('[data-testid="invitation-qr"] svg')).not.toBeNull()
    } finally {
      await noScript.close()
    }
  })

  it('has no serious or critical axe-core violations, signed in or not, and the page broke no CSP rule', async () => {
    expect(await axeViolations(operator, `${baseUrl}/`)).toEqual([])
    const stranger = await browser.createBrowserContext()
    try {
      expect(await axeViolations(stranger, `${baseUrl}/`)).toEqual([])
    } finally {
      await stranger.close()
    }
    expect(await page.evaluate(() => window.cspViolations)).toEqual([])
  })

  it('does not hold the shutdown up with the live page open: SIGTERM exits 0 and the page says why it stopped', async () => {
    expect(await textOf('[data-testid="live-state"]')).toMatch(/^Live:/)
    topology.proxy.signal('SIGTERM')
    expect(await topology.proxy.exited()).toEqual({ code: 0, signal: null })
    await page.waitForFunction(
      () => document.querySelector('[data-testid="live-state"]')?.textContent?.includes('shutting down'),
      { timeout: DEADLINE_MS },
    )
  })
})
