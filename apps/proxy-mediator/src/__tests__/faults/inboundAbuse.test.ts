import { statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { recipientFloodEnvelope } from '@proxy-mediator/topology'
import WebSocket from 'ws'
import { DIDCOMM, anoncrypt, forwardFor, percentiles, probeHealth, publicKeysOf, rssOf } from './support/hostileInput'
import { type ProcessTopology, report, useProcessTopology } from './support/processTopology'

// Anonymous input against the real runner, with a real mediator and agent, by the ways around the
// HTTP limits that an adversarial run found: websocket frames, dead letters, connections.
const FLOOD_SOCKETS = 10
const FLOOD_MS = 10_000
const RECIPIENTS = 40_000
const PLAINTEXT_FRAMES = 1_000
const PER_ADDRESS = 60
const LARGE_DEAD_LETTERS = 8
/** The agent's envelope inside; the mediator takes 5 MB at most, and the two forward layers add a third each. */
const LARGE_ENVELOPE_BYTES = 2_000_000

type Close = { code: number; reason: string }

/** Opens a websocket to the proxy, sends `frame`, and resolves with how the proxy closed it. */
function closeAfterFrame(url: string, frame: string): Promise<Close> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    socket.once('open', () => socket.send(frame))
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
    socket.once('error', reject)
  })
}

const countsOf = (closes: Close[]) =>
  closes.reduce<Record<string, number>>((counts, { code, reason }) => {
    const key = `${code} ${reason}`
    counts[key] = (counts[key] ?? 0) + 1
    return counts
  }, {})

describe('abuse: anonymous input finds no way around the limits', () => {
  const useTopology = useProcessTopology({
    runnerArgs: [
      ...['--max-connections-per-address', String(PER_ADDRESS)],
      ...['--headers-timeout', '2000', '--request-timeout', '4000'],
    ],
  })
  const wsUrl = (topology: ProcessTopology) => topology.proxy.baseUrl.replace('http', 'ws')

  it(`closes each of ${FLOOD_SOCKETS} websockets flooding ${RECIPIENTS.toLocaleString('en')}-recipient frames with the reason, and keeps serving`, async () => {
    const topology = useTopology()
    const frame = recipientFloodEnvelope(RECIPIENTS)
    const reconnectsBefore = (await topology.status()).upstream.reconnects
    const deadline = Date.now() + FLOOD_MS
    const closes: Close[] = []
    const flooder = async () => {
      while (Date.now() < deadline) closes.push(await closeAfterFrame(wsUrl(topology), frame))
    }
    const [health] = await Promise.all([
      probeHealth(topology.proxy.baseUrl, () => Date.now() >= deadline),
      ...Array.from({ length: FLOOD_SOCKETS }, flooder),
    ])

    // Every frame got its answer: a close with the reason, none left hanging.
    expect(countsOf(closes)).toEqual({ '1008 header_too_large': closes.length })
    expect(closes.length).toBeGreaterThanOrEqual(FLOOD_SOCKETS)
    const sent = await topology.stream('after-websocket-flood', 5)
    expect((await topology.waitForDelivery(sent, 60_000)).missing).toEqual([])
    const status = await topology.status()
    report('abuse: websocket recipient flood', {
      frameMb: Math.round(frame.length / 1e5) / 10,
      framesRefused: closes.length,
      healthMs: percentiles(health),
      upstreamSocket: status.mediators[0].socketState,
      upstreamReconnectsDuringFlood: status.upstream.reconnects - reconnectsBefore,
    })
  }, 120_000)

  it(`closes ${PLAINTEXT_FRAMES.toLocaleString('en')} plaintext frames with the reason, logging one line a minute and no error`, async () => {
    const topology = useTopology()
    const started = Date.now()
    const linesBefore = topology.proxy.logLines.length
    const plaintext = JSON.stringify({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': '12345678' })
    const closes: Close[] = []
    // 20 at a time: below the websockets allowed per address.
    for (let sent = 0; sent < PLAINTEXT_FRAMES; sent += 20) {
      closes.push(...(await Promise.all(Array.from({ length: 20 }, () => closeAfterFrame(wsUrl(topology), plaintext)))))
    }
    expect(countsOf(closes)).toEqual({ '1008 plaintext_not_accepted': PLAINTEXT_FRAMES })
    const lines = topology.proxy.logLines.slice(linesBefore)
    const minutes = Math.floor((Date.now() - started) / 60_000) + 1
    // The first refusal of the minute, and the summary of the minute: before, 2,001 lines with stacks.
    expect(lines.filter((line) => line.includes('plaintext_not_accepted')).length).toBeLessThanOrEqual(2 * minutes)
    expect(lines.filter((line) => line.includes('"level":"error"'))).toEqual([])
    expect(lines.filter((line) => /\n\s+at |"stack"/.test(line))).toEqual([])
    report('abuse: plaintext frames', { frames: PLAINTEXT_FRAMES, closes: countsOf(closes), logLines: lines.length })
  }, 120_000)

  it('refuses a forward for a key no agent registered, packed for the agent invitation key, on every path, and keeps nothing', async () => {
    const topology = useTopology()
    const keys = await publicKeysOf(topology)
    const deadLettersBefore = (await topology.status()).counters.deadLettered
    const listedBefore = await topology.proxy.getJson<{ dead_letters: unknown[] }>('/dead-letters')
    const posted = await forwardFor(
      keys.stranger,
      await anoncrypt({ hello: 'nobody' }, keys.stranger),
      keys.invitationKey,
    )
    const response = await fetch(`${topology.proxy.baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': DIDCOMM },
      body: JSON.stringify(posted),
    })
    expect({ status: response.status, error: ((await response.json()) as { error: string }).error }).toEqual({
      status: 400,
      error: 'unknown_recipient',
    })
    expect(await closeAfterFrame(wsUrl(topology), JSON.stringify(posted))).toEqual({
      code: 1008,
      reason: 'unknown_recipient',
    })
    const status = await topology.status()
    expect(status.counters.deadLettered).toBe(deadLettersBefore)
    const listed = await topology.proxy.getJson<{ dead_letters: unknown[] }>('/dead-letters')
    expect(listed?.body.dead_letters).toEqual(listedBefore?.body.dead_letters)
  }, 60_000)

  it(`keeps ${LARGE_DEAD_LETTERS} dead letters of 2 MB that came through the mediator as their size and digest, and pages them`, async () => {
    const topology = useTopology()
    const keys = await publicKeysOf(topology)
    const store = join(topology.proxyStorageDir, 'proxy-mediator.sqlite')
    const storeBytes = () =>
      ['', '-wal'].reduce(
        (sum, suffix) => sum + (statSync(`${store}${suffix}`, { throwIfNoEntry: false })?.size ?? 0),
        0,
      )
    const bytesBefore = storeBytes()
    const rssBefore = rssOf(topology.proxy.child.pid as number)
    const deadLettersBefore = (await topology.status()).counters.deadLettered
    // As a sender on the internet does: for a key no agent registered, through the proxy's route.
    for (let index = 0; index < LARGE_DEAD_LETTERS; index++) {
      const inner = await anoncrypt({ padding: 'x'.repeat((LARGE_ENVELOPE_BYTES * 3) / 4) }, keys.stranger)
      const forProxy = await forwardFor(keys.stranger, inner, keys.routingKey)
      const forMediator = await forwardFor(keys.routingKey, forProxy, keys.mediatorKey)
      const response = await fetch(keys.mediatorEndpoint, {
        method: 'POST',
        headers: { 'content-type': DIDCOMM },
        body: JSON.stringify(forMediator),
      })
      expect(response.ok).toBe(true)
    }
    await topology.waitForProxyStatus(
      'ready',
      120_000,
      (status) => status.counters.deadLettered - deadLettersBefore >= LARGE_DEAD_LETTERS,
    )

    type Page = {
      dead_letters: Array<{ envelope?: unknown; envelopeBytes: number; envelopeDigest?: string; replayable: boolean }>
      next: string | null
    }
    const pages: Page[] = []
    let next: string | null = null
    do {
      const answer: { body: Page } | undefined = await topology.proxy.getJson<Page>(
        `/dead-letters?limit=3${next ? `&before=${next}` : ''}`,
      )
      if (!answer) throw new Error('GET /dead-letters did not answer')
      pages.push(answer.body)
      next = answer.body.next
    } while (next)
    const kept = pages.flatMap((page) => page.dead_letters)
    expect(kept).toHaveLength(LARGE_DEAD_LETTERS)
    // Each is its size and digest, not its 2 MB: a page of 3 is a few hundred bytes.
    for (const page of pages) expect(JSON.stringify(page).length).toBeLessThan(4 * 1024)
    expect(pages.length).toBeGreaterThan(1)
    for (const letter of kept) {
      expect(letter.envelope).toBeUndefined()
      expect(letter.replayable).toBe(false)
      expect(letter.envelopeBytes).toBeGreaterThan(LARGE_ENVELOPE_BYTES)
      expect(letter.envelopeDigest).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }
    const grown = storeBytes() - bytesBefore
    expect(grown).toBeLessThan(2 * 1024 * 1024)
    report('abuse: large dead letters', {
      deadLetters: LARGE_DEAD_LETTERS,
      envelopeMb: Math.round(kept[0].envelopeBytes / 1e5) / 10,
      storeGrowthKb: Math.round(grown / 1024),
      pagesOf3: pages.map((page) => page.dead_letters.length),
      rssBeforeMb: Math.round(rssBefore / 1e6),
      rssAfterMb: Math.round(rssOf(topology.proxy.child.pid as number) / 1e6),
    })
  }, 240_000)

  it(`refuses connections past ${PER_ADDRESS} from one address, closes those that send nothing, and serves again`, async () => {
    const topology = useTopology()
    const port = Number(new URL(topology.proxy.baseUrl).port)
    // Sockets that send a request line and nothing more: a client holding file descriptors, a slow request.
    const answers = await Promise.all(
      Array.from(
        { length: PER_ADDRESS + 20 },
        () =>
          new Promise<string>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\n'))
            let answer = ''
            socket.on('data', (chunk) => {
              answer += chunk.toString('latin1')
            })
            socket.once('error', () => undefined)
            socket.once('close', () => resolve(answer.slice(0, 12) || 'closed'))
          }),
      ),
    )
    const byAnswer = answers.reduce<Record<string, number>>((counts, answer) => {
      counts[answer] = (counts[answer] ?? 0) + 1
      return counts
    }, {})
    // Refused at once past the cap; the others closed by --headers-timeout (408), not held for 300 s.
    expect(byAnswer['HTTP/1.1 429']).toBeGreaterThanOrEqual(20)
    expect((byAnswer['HTTP/1.1 429'] ?? 0) + (byAnswer['HTTP/1.1 408'] ?? 0)).toBe(PER_ADDRESS + 20)
    // Served again once the server has counted those sockets closed (its close events trail the client's).
    let health = 0
    for (const deadline = Date.now() + 10_000; health !== 200 && Date.now() < deadline; ) {
      health = (await fetch(`${topology.proxy.baseUrl}/health`)).status
      if (health !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(health).toBe(200)
    report('abuse: connections from one address', { opened: PER_ADDRESS + 20, answers: byAnswer })
  }, 120_000)
})
