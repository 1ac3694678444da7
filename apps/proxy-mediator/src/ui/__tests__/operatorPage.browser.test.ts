// Callbacks passed to page.evaluate run in the browser: they are typed against the DOM.
/// <reference lib="dom" />
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core'
import type { ProcessTopology, ProxyStatus } from '../../__tests__/faults/support/processTopology'
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
/** The runner's --agent-failing-after: short, so that the agent-down test does not wait 30 s. */
const AGENT_FAILING_AFTER_MS = 2_000
/** The colour of `degraded` (the stylesheet's --degraded), as the browser computes it. */
const DEGRADED_COLOUR = 'rgb(164, 20, 26)'
/** A phone's width in CSS pixels. */
const PHONE_WIDTH = 390
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
    topology = await startTopologyInInit(ADMIN_KEY, ['--agent-failing-after', String(AGENT_FAILING_AFTER_MS)])
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
  const stateIs = (state: string) =>
    page.waitForFunction(
      (expected) => document.querySelector('[data-testid="state"]')?.textContent?.trim() === expected,
      {
        timeout: DEADLINE_MS,
      },
      state,
    )
  /** Polls the proxy's /status (with the admin key) until `until` holds for it. */
  const statusWhen = (what: string, until: (status: ProxyStatus) => boolean) =>
    topology.proxy.waitForJson<ProxyStatus>('/status', (body) => until(body), DEADLINE_MS, what)

  /** /status once two reads a second apart agree: nothing is in flight, nothing is moving. */
  const quiescentStatus = async (): Promise<ProxyStatus> => {
    let previous = await topology.status()
    for (const deadline = Date.now() + DEADLINE_MS; ; ) {
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      const current = await topology.status()
      const settled = current.counters.inFlight === 0 && current.counters.outbox === 0
      if (settled && JSON.stringify(current.counters) === JSON.stringify(previous.counters)) return current
      if (Date.now() > deadline) throw new Error(`/status never settled: ${JSON.stringify(current.counters)}`)
      previous = current
    }
  }

  /** The samples of GET /metrics, by name with their labels as printed. */
  const metricValues = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`${baseUrl}/metrics`)).text()
    return Object.fromEntries(
      text
        .split('\n')
        .filter((line) => line.startsWith('proxy_mediator_'))
        .map((line) => {
          const separator = line.lastIndexOf(' ')
          return [line.slice(0, separator), Number(line.slice(separator + 1))]
        }),
    )
  }

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

  it('shows degraded, in words and in its colour, with the agent and its cause once the agent is down, and ready again once it is back', async () => {
    await page.goto(`${baseUrl}/`)
    await stateIs('ready')
    expect(await topology.agent.stop()).toEqual({ code: 0, signal: null })
    await topology.sender.request('send', 'sent-while-the-agent-is-down')

    // Within agent-failing-after of the first failed relay (the deadline only bounds the wait).
    await stateIs('degraded')
    expect(await page.$eval('[data-testid="state"]', (badge) => getComputedStyle(badge).backgroundColor)).toBe(
      DEGRADED_COLOUR,
    )
    const agentId = (await topology.status()).agents[0].connectionId
    const reason = await textOf('[data-testid="state-reason"]')
    expect(reason).toContain(`relays to agent 'role-agent' (${agentId}) fail since`)
    expect(reason).toMatch(/connection refused by http:\/\/127\.0\.0\.1:\d+/)
    await page.waitForSelector('[data-testid="agent-failing"]', { timeout: DEADLINE_MS })
    expect(await textOf('[data-testid="agent-failing"]')).toMatch(
      /^failing since \d{4}-\d\d-\d\dT[\d:.]+Z: connection refused by http:\/\/127\.0\.0\.1:\d+/,
    )
    expect(await textOf('[data-testid="agent-backlog"]')).toMatch(/^\d+ waiting$/)
    // /status names who and why; /ready is about pickup, which runs.
    const status = await topology.status()
    expect(status.status).toBe('degraded')
    expect(status.reason).toContain(agentId)
    expect(status.agents[0]).toMatchObject({
      state: 'failing',
      lastError: expect.stringContaining('connection refused'),
    })
    expect((await fetch(`${baseUrl}/ready`)).status).toBe(200)

    await topology.startAgent()
    await topology.waitForDelivery(['sent-while-the-agent-is-down'], 2 * DEADLINE_MS)
    await stateIs('ready')
    expect(await page.$('[data-testid="agent-failing"]')).toBeNull()
  })

  it('relays a dead letter again from the page, after a confirmation, and the agent gets it', async () => {
    // The agent takes its keys of one connection off the proxy's keylist: what the sender sends
    // on it now is dead-lettered.
    const outOfBandId = await topology.connectSender('dead-letters')
    const keys = await topology.agent.request<string[]>('removeInvitationKeys', outOfBandId)
    await statusWhen(
      'the keys removed',
      (status) => !status.agents.some((a) => a.recipientKeys.some((k) => keys.includes(k))),
    )
    const before = (await topology.status()).counters.deadLettered
    for (const [index, content] of ['dead-letter-relayed-again', 'dead-letter-left'].entries()) {
      await topology.sender.request('send', { content, connection: 'dead-letters' })
      await statusWhen('a dead letter', (status) => status.counters.deadLettered >= before + index + 1)
    }
    // Fixed: the keys are back. The newest dead letter comes first in the list.
    await topology.agent.request('registerKeysAgain', keys)
    await statusWhen('the keys back', (status) =>
      status.agents.some((a) => keys.every((k) => a.recipientKeys.includes(k))),
    )
    const listed = await topology.proxy.getJson<{ dead_letters: Array<{ id: string; agentConnectionId?: string }> }>(
      '/dead-letters?limit=2',
    )
    const [left, toRelay] = listed?.body.dead_letters ?? []
    expect(toRelay.agentConnectionId).toBe((await topology.status()).agents[0].connectionId)

    // Read when the page loads: a fresh load lists the new ones.
    await page.goto(`${baseUrl}/`)
    const row = `[data-dead-letter-id="${toRelay.id}"]`
    expect(await page.$eval(row, (element) => element.textContent ?? '')).toContain('role-agent')
    const [asked] = await Promise.all([
      page.waitForNavigation(),
      page.click(`${row} [data-dead-letter-action="replay"]`),
    ])
    expect(asked?.status()).toBe(200)
    expect(await textOf('[data-testid="dead-letter-confirmation"] h2')).toBe(`Relay dead letter ${toRelay.id} again?`)
    expect(await page.$(`[data-testid="dead-letter"]`)).toBeNull()
    const [done] = await Promise.all([
      page.waitForNavigation(),
      page.click('[data-testid="confirm-dead-letter-action"]'),
    ])
    expect(done?.url()).toBe(`${baseUrl}/?done=dead-letters-replayed&count=1&refused=0`)
    expect(await textOf('[data-testid="notice-success"]')).toBe('1 dead letter is relayed again, from the outbox.')

    await topology.waitForDelivery(['dead-letter-relayed-again'], DEADLINE_MS)
    expect(await topology.received()).not.toContain('dead-letter-left')
    expect(await page.$(row)).toBeNull()
    expect(await page.$(`[data-dead-letter-id="${left.id}"]`)).not.toBeNull()
    // The module logged who asked: this browser's session, never its id.
    const logged = topology.proxy
      .logEntries()
      .find((entry) => String(entry.msg).startsWith('Dead letters: page session'))
    expect(logged?.msg).toMatch(
      /^Dead letters: page session [0-9a-f]{8} from 127\.0\.0\.1 relayed again 1 dead letters$/,
    )
    expect(await axeViolations(operator, `${baseUrl}/`)).toEqual([])
  })

  it('shows the figures of /status and /metrics at a quiescent moment', async () => {
    const quiescent = await quiescentStatus()
    const counters = quiescent.counters
    // What the page shows is what /status said, once its next update came.
    await page.goto(`${baseUrl}/`)
    await page.waitForFunction(
      (expected) =>
        Object.entries(expected).every(
          ([name, value]) => document.querySelector(`[data-counter="${name}"]`)?.textContent?.trim() === String(value),
        ),
      { timeout: DEADLINE_MS },
      counters,
    )
    const shown = await page.$$eval('[data-counter]', (cells) =>
      Object.fromEntries(cells.map((cell) => [cell.getAttribute('data-counter'), Number(cell.textContent)])),
    )
    const metrics = await metricValues()
    const after = await topology.status()
    // Nothing moved meanwhile: all three were read at the same moment, as far as the proxy is concerned.
    expect(after.counters).toEqual(counters)
    expect(shown).toEqual(counters)
    expect({
      relayed: metrics.proxy_mediator_messages_relayed_total,
      deadLettered: metrics.proxy_mediator_messages_dead_lettered_total,
      inFlight: metrics.proxy_mediator_relays_in_flight,
      failedAttempts: metrics.proxy_mediator_relay_attempts_failed_total,
      outbox: metrics.proxy_mediator_outbox_messages,
      heldInMemory: metrics.proxy_mediator_messages_held_in_memory,
    }).toEqual(counters)
    expect(counters.relayed).toBeGreaterThan(0)
    expect(counters.deadLettered).toBeGreaterThan(0)
    expect(counters.failedAttempts).toBeGreaterThan(0)
    expect(await textOf('[data-testid="state"]')).toBe(after.status)
    expect(metrics[`proxy_mediator_upstream_state{state="${after.status}"}`]).toBe(1)
    expect(metrics[`proxy_mediator_agent_failing{agent="${after.agents[0].connectionId}"}`]).toBe(0)
    expect(metrics.proxy_mediator_agents).toBe(after.agents.length)
    expect(await page.$$('[data-testid="agent"]')).toHaveLength(after.agents.length)
  })

  it('draws the last hour at load time, extends it live, and still has it after a reload', async () => {
    await page.goto(`${baseUrl}/`)
    const history = () =>
      page.$eval('[data-testid="history"]', (figure) => ({
        samples: Number(figure.getAttribute('data-history-samples')),
        first: figure.getAttribute('data-history-first'),
        caption: figure.textContent ?? '',
      }))
    const loaded = await history()
    expect(loaded.samples).toBeGreaterThan(0)
    await page.evaluate(() => {
      window.operatorPageNotReloaded = true
    })
    // A new step comes by the live stream, without a reload.
    await page.waitForFunction(
      (count) =>
        Number(document.querySelector('[data-testid="history"]')?.getAttribute('data-history-samples')) > count,
      { timeout: DEADLINE_MS },
      loaded.samples,
    )
    expect(await page.evaluate(() => window.operatorPageNotReloaded)).toBe(true)
    const live = await history()

    await page.reload()
    expect(await page.evaluate(() => window.operatorPageNotReloaded)).toBeUndefined()
    const reloaded = await history()
    // The same history, kept by the server: from the same first step, with every step since.
    expect(reloaded.first).toBe(loaded.first)
    expect(reloaded.samples).toBeGreaterThanOrEqual(live.samples)
    const relayedInAll = Number(/Relayed per step: (\d+) in all/.exec(reloaded.caption)?.[1])
    expect(relayedInAll).toBeGreaterThan(0)
    const served = await topology.proxy.getJson<{ step_seconds: number; samples: Array<{ at: string }> }>(
      '/status/history',
    )
    expect(served?.body.step_seconds).toBe(10)
    expect(served?.body.samples[0].at).toBe(loaded.first)
  })

  it('fits a phone: at 390 px no page is wider than the screen, and every table becomes cards', async () => {
    const phone = await operator.newPage()
    try {
      await phone.setViewport({ width: PHONE_WIDTH, height: 844, isMobile: true, hasTouch: true })
      const widths = async (url: string) => {
        await phone.goto(url)
        return phone.evaluate(() => ({
          document: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
        }))
      }
      for (const url of [`${baseUrl}/`, `${baseUrl}/api-docs`]) {
        const { document: width, viewport } = await widths(url)
        expect({ url, viewport }).toEqual({ url, viewport: PHONE_WIDTH })
        expect({ url, fits: width <= viewport }).toEqual({ url, fits: true })
      }
      // The page had what made it wide: the mediators' table, the agents' and the dead letters'.
      await phone.goto(`${baseUrl}/`)
      for (const table of ['table.mediators', 'table.agents', 'table.dead-letters']) {
        expect(await phone.$eval(table, (element) => getComputedStyle(element).display)).toBe('block')
      }
      // The confirmation step too.
      const [asked] = await Promise.all([
        phone.waitForNavigation(),
        phone.click('[data-testid="dead-letter"] [data-dead-letter-action="delete"]'),
      ])
      expect(asked?.status()).toBe(200)
      expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
      mkdirSync(ARTIFACTS, { recursive: true })
      await phone.goto(`${baseUrl}/`)
      writeFileSync(join(ARTIFACTS, 'operator-page-phone.png'), await phone.screenshot({ fullPage: true }))
    } finally {
      await phone.close()
    }
    expect(await axeViolations(operator, `${baseUrl}/api-docs`)).toEqual([])
    // With an admin key, the invitation never reached the log at info.
    expect(topology.proxy.logLines.join('\n')).not.toContain('?oob=')
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
