import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { KeylistResults } from '@proxy-mediator/topology'
import { percentiles, probeHealth, rssOf } from './support/hostileInput'
import { type ProcessTopology, report, useProcessTopology } from './support/processTopology'

// What a mediated agent, another site's page and an invitation URL's server can do to the real
// runner, with a real mediator and agent: each is bounded.
const KEYS = 40_000
const KEYS_PER_UPDATE = 1_000
/** Room for the keys the agent registered while it connected, and no more. */
const MAX_KEYS_PER_AGENT = KEYS + 50

const agentKeyCount = async (topology: ProcessTopology) => {
  const [agent] = (await topology.status()).agents as Array<{ keyCount?: number }>
  return agent?.keyCount ?? 0
}

/** An invitation URL's server gone bad, one way per path. */
async function hostileInvitationServer(): Promise<{ server: Server; base: string; bytesSent: () => number }> {
  let bytesSent = 0
  const server = createServer((req, res) => {
    if (req.url === '/trickle') {
      // The headers at once, then a byte a second, for ever.
      res.writeHead(200, { 'content-type': 'application/json' })
      const timer = setInterval(() => res.write(' '), 1_000)
      res.once('close', () => clearInterval(timer))
    } else if (req.url === '/huge') {
      // 400 MB, for as long as the proxy reads.
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const pump = () => {
        while (bytesSent < 400 * 1024 * 1024 && !res.destroyed) {
          bytesSent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    } else {
      // Somewhere else, and again, and again.
      res.writeHead(302, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/elsewhere${req.url}` })
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bytesSent: () => bytesSent }
}

describe('abuse: a mediated agent, another site and an invitation server stay within bounds', () => {
  const useTopology = useProcessTopology({ runnerArgs: ['--max-keys-per-agent', String(MAX_KEYS_PER_AGENT)] })

  it(`registers ${KEYS.toLocaleString('en')} keys of one agent, one write each, and refuses one past the per-agent cap`, async () => {
    const topology = useTopology()
    const before = await agentKeyCount(topology)
    let done = false
    const health = probeHealth(topology.proxy.baseUrl, () => done)
    const started = Date.now()
    let results: KeylistResults
    try {
      results = await topology.agent.request<KeylistResults>('registerRandomKeys', {
        count: KEYS,
        batchSize: KEYS_PER_UPDATE,
      })
    } finally {
      done = true
    }
    const registeredMs = Date.now() - started
    expect(results).toEqual({ success: KEYS })
    expect(await agentKeyCount(topology)).toBe(before + KEYS)

    // Past the cap: the whole update is refused (the agent gets a problem report, no response).
    await expect(
      topology.agent.request('registerRandomKeys', {
        count: MAX_KEYS_PER_AGENT,
        batchSize: MAX_KEYS_PER_AGENT,
        timeoutMs: 10_000,
      }),
    ).rejects.toThrow()
    expect(await agentKeyCount(topology)).toBe(before + KEYS)
    const sent = await topology.stream('after-40000-keys', 5)
    expect((await topology.waitForDelivery(sent, 60_000)).missing).toEqual([])
    report('abuse: keylist of 40,000 keys', {
      keys: KEYS,
      perUpdate: KEYS_PER_UPDATE,
      registeredMs,
      healthMs: percentiles(await health),
      rssMb: Math.round(rssOf(topology.proxy.child.pid as number) / 1e6),
    })
  }, 600_000)

  it('refuses the admin calls another site’s page can make a browser send, and says so at start', async () => {
    const topology = useTopology()
    const proxy = topology.proxy.adminUrl
    const attacker = JSON.stringify({
      invitation_url: 'http://attacker.example/?oob=eyJAdHlwZSI6IngifQ',
      primary: true,
    })
    const calls: Array<[string, string, string, Record<string, string>, string | undefined]> = [
      ['a text/plain form with a JSON body', 'POST', '/mediators', { 'content-type': 'text/plain' }, attacker],
      [
        'JSON from another origin',
        'POST',
        '/mediators',
        { 'content-type': 'application/json', origin: 'http://attacker.example' },
        attacker,
      ],
      [
        'announce-route as a plain form',
        'POST',
        '/mediators/announce-route',
        { 'content-type': 'application/x-www-form-urlencoded' },
        '',
      ],
      [
        'announce-route by a cross-site fetch',
        'POST',
        '/mediators/announce-route',
        { 'sec-fetch-site': 'cross-site' },
        undefined,
      ],
      ['the invitation, read from another site', 'GET', '/invitation', { 'sec-fetch-site': 'cross-site' }, undefined],
    ]
    const answers: Record<string, number> = {}
    for (const [name, method, path, headers, body] of calls) {
      const response = await fetch(`${proxy}${path}`, { method, headers, body })
      answers[name] = response.status
      await response.arrayBuffer()
    }
    expect(answers).toEqual({
      'a text/plain form with a JSON body': 415,
      'JSON from another origin': 403,
      'announce-route as a plain form': 415,
      'announce-route by a cross-site fetch': 403,
      'the invitation, read from another site': 403,
    })
    // The mediator the proxy had is still its only one, and primary.
    const { mediators } = await topology.status()
    expect(mediators.map(({ role }) => role)).toEqual(['primary'])

    // Made-up session cookies hold none of the page's 16 live streams.
    const madeUp = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const response = await fetch(`${proxy}/ui/events`, {
          headers: { cookie: `pm_operator_session=made-up-${index}` },
        })
        await response.body?.cancel()
        return response.status
      }),
    )
    expect(new Set(madeUp)).toEqual(new Set([401]))
    expect(topology.proxy.logLines.some((line) => line.includes('No admin API key'))).toBe(true)
    report('abuse: cross-site admin calls', { answers, madeUpStreams: madeUp.length })
  }, 60_000)

  it('bounds the fetch of an invitation URL: a trickle, 400 MB, endless redirects; the change lock is released', async () => {
    const topology = useTopology()
    const { server, base, bytesSent } = await hostileInvitationServer()
    const add = (invitationUrl: string) =>
      fetch(`${topology.proxy.adminUrl}/mediators`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invitation_url: invitationUrl, primary: false }),
      }).then(async (response) => {
        const { error, detail } = (await response.json()) as { error?: string; detail?: string }
        return { status: response.status, error, detail }
      })
    try {
      const pid = topology.proxy.child.pid as number
      const trickle = add(`${base}/trickle`)
      // A change while the trickle holds the lock is refused; after it, changes go through again.
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      const during = await add(`${base}/redirects`)
      expect(during).toMatchObject({ status: 409, error: 'setup_in_progress' })
      expect(await trickle).toMatchObject({
        status: 400,
        error: 'invalid_invitation',
        detail: expect.stringContaining('did not come within 10000 ms'),
      })
      const rssBefore = rssOf(pid)
      expect(await add(`${base}/huge`)).toMatchObject({
        status: 400,
        error: 'invalid_invitation',
        detail: expect.stringContaining(`larger than ${64 * 1024} bytes`),
      })
      const rssAfter = rssOf(pid)
      expect(rssAfter - rssBefore).toBeLessThan(100 * 1024 * 1024)
      expect(bytesSent()).toBeLessThan(400 * 1024 * 1024)
      expect(await add(`${base}/redirects`)).toMatchObject({
        status: 400,
        error: 'invalid_invitation',
        detail: expect.stringContaining('more than 3 redirects'),
      })
      const again = await add(await topology.mediator.request<string>('invitation'))
      expect(again.status).toBe(200)
      report('abuse: invitation fetches', {
        changeDuringTrickle: during.error,
        hugeBodyKbSent: Math.round(bytesSent() / 1024),
        rssGrowthMb: Math.round((rssAfter - rssBefore) / 1e6),
      })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }, 120_000)
})
