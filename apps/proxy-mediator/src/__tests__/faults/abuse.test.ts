import { recipientFloodEnvelope } from '@proxy-mediator/topology'
import WebSocket from 'ws'
import { DIDCOMM, anoncrypt, forwardFor, publicKeysOf, rssOf } from './support/hostileInput'
import { type ProcessTopology, report, useProcessTopology } from './support/processTopology'

// An anonymous client against the real runner, set up with a real mediator and agent: every body
// is answered with a 4xx, websockets are bounded, memory comes back, and messages still flow.
const MAX_BODY_BYTES = 256 * 1024
const FUZZED_BODIES = 10_000
const IN_FLIGHT = 64
const PER_ADDRESS = 20

/** The kinds of hostile body, each a function of the proxy's own keys. */
async function hostileBodies(topology: ProcessTopology): Promise<Array<[string, string]>> {
  const { routingKey, invitationKey, stranger } = await publicKeysOf(topology)
  const envelope = async (plaintext: Record<string, unknown>, to: string) =>
    JSON.stringify(await anoncrypt(plaintext, to))
  const forwardForNoAgent = async (packedFor: string) =>
    JSON.stringify(await forwardFor(stranger, await anoncrypt({}, stranger), packedFor))
  const withGarbage = (body: string) => JSON.stringify({ ...JSON.parse(body), ciphertext: 'Z2FyYmFnZQ' })

  return [
    ['garbage', 'not json \u0000\u00ff'],
    ['invalid JSON', '{"protected": "eyJ'],
    ['JSON that is no envelope', JSON.stringify({ hello: 'world' })],
    ['plaintext with @type', JSON.stringify({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': '12345678' })],
    [
      'plaintext forward',
      JSON.stringify({ '@type': 'https://didcomm.org/routing/1.0/forward', '@id': '12345678', to: stranger, msg: {} }),
    ],
    ['envelope for an unknown key', await envelope({ '@type': 'x' }, stranger)],
    ['invitation key, garbage ciphertext', withGarbage(await envelope({ '@type': 'x' }, invitationKey))],
    ['invitation key, junk inside', await envelope({ no: 'type' }, invitationKey)],
    ['routing key, garbage ciphertext', withGarbage(await envelope({ '@type': 'x' }, routingKey))],
    ['routing key, forward for no agent', await forwardForNoAgent(routingKey)],
    ['invitation key, forward for no agent', await forwardForNoAgent(invitationKey)],
    ['recipient list of 100 kids', recipientFloodEnvelope(100)],
    ['recipient flood of 2,000 kids', recipientFloodEnvelope(2_000)],
    ['oversized body', JSON.stringify({ protected: 'e30', iv: 'a', ciphertext: 'x'.repeat(MAX_BODY_BYTES), tag: 'a' })],
  ]
}

describe('abuse: unauthenticated input costs little', () => {
  const useTopology = useProcessTopology({
    runnerArgs: [
      ...['--max-body-size', String(MAX_BODY_BYTES), '--max-websockets-per-address', String(PER_ADDRESS)],
      ...['--websocket-idle-timeout', '1000'],
    ],
  })

  it(`answers ${FUZZED_BODIES.toLocaleString('en')} hostile bodies (after a warm-up) with a 4xx each, logs them quietly, and keeps relaying`, async () => {
    const topology = useTopology()
    const pid = topology.proxy.child.pid as number
    const startRss = rssOf(pid)
    const bodies = await hostileBodies(topology)
    const statuses = new Map<string, Map<number, number>>()
    let next = 0
    let until = 0
    const worker = async () => {
      while (next < until) {
        const [kind, body] = bodies[next++ % bodies.length]
        const response = await fetch(`${topology.proxy.baseUrl}/`, {
          method: 'POST',
          headers: { 'content-type': DIDCOMM },
          body,
        })
        await response.arrayBuffer()
        const byStatus = statuses.get(kind) ?? new Map<number, number>()
        byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1)
        statuses.set(kind, byStatus)
      }
    }
    const send = async (count: number) => {
      until = next + count
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    }
    const floodStarted = Date.now()
    // "Idle" is taken after a warm-up of every kind of body: code compiled, pools and heap sized.
    await send(bodies.length * 100)
    const idleRss = rssOf(pid)
    await send(FUZZED_BODIES)

    const answered = Object.fromEntries([...statuses].map(([kind, byStatus]) => [kind, Object.fromEntries(byStatus)]))
    for (const [kind, byStatus] of statuses) {
      for (const status of byStatus.keys())
        expect({ kind, status, is4xx: status >= 400 && status < 500 }).toMatchObject({ is4xx: true })
    }

    // One line per reason and minute (plus a summary per minute), not one per request; no stack
    // traces for the client's input. A slow machine spreads the flood over more than one minute.
    const minutes = Math.floor((Date.now() - floodStarted) / 60_000) + 1
    const rejectionLines = topology.proxy.logLines.filter((line) => line.includes('rejected'))
    expect(rejectionLines.length).toBeLessThanOrEqual((bodies.length + 1) * minutes)
    expect(topology.proxy.logLines.filter((line) => line.includes('"level":"error"'))).toEqual([])
    const metrics = await (await fetch(`${topology.proxy.adminUrl}/metrics`)).text()
    expect(metrics).toMatch(
      /proxy_mediator_rejected_requests_total\{reason="too_many_recipients"\}|reason="header_too_large"/,
    )

    const sent = await topology.stream('after-abuse', 5)
    const delivery = await topology.waitForDelivery(sent, 60_000)
    expect(delivery.missing).toEqual([])
    const afterRss = rssOf(pid)
    // The heap grows with the garbage of large bodies and V8 keeps it; it must not keep growing.
    await send(FUZZED_BODIES / 2)
    const plateauRss = rssOf(pid)
    report('abuse: hostile bodies', {
      bodies: FUZZED_BODIES,
      answered,
      rejectionLogLines: rejectionLines.length,
      startRssMb: Math.round(startRss / 1e6),
      warmIdleRssMb: Math.round(idleRss / 1e6),
      afterRssMb: Math.round(afterRss / 1e6),
      afterAnother5000RssMb: Math.round(plateauRss / 1e6),
    })
    expect(plateauRss).toBeLessThanOrEqual(afterRss * 1.3)
  }, 300_000)

  it('refuses an oversized frame, bounds sockets per address, and closes silent ones', async () => {
    const topology = useTopology()
    const url = topology.proxy.baseUrl.replace('http', 'ws')
    const open = (socket: WebSocket) =>
      new Promise<'open' | number>((resolve) => {
        socket.once('open', () => resolve('open'))
        socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
        socket.once('error', () => resolve(-1))
      })
    const closed = (socket: WebSocket) =>
      new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))

    const pid = topology.proxy.child.pid as number
    const idleRss = rssOf(pid)
    // 10 sockets, 2 frames of 16 MB each: refused from the frame header, before any is buffered.
    const frame = Buffer.alloc(16 * 1024 * 1024, 1)
    const frameCloses = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const big = new WebSocket(url)
        expect(await open(big)).toBe('open')
        const bigClosed = closed(big)
        big.send(frame)
        big.send(frame, () => undefined)
        return bigClosed
      }),
    )
    // 1009 (message too big); a client still writing its frame may see the reset (1006) first.
    expect(frameCloses.every((code) => code === 1009 || code === 1006)).toBe(true)
    expect(frameCloses).toContain(1009)
    const afterFramesRss = rssOf(pid)

    const sockets = Array.from({ length: PER_ADDRESS + 5 }, () => new WebSocket(url))
    const outcomes = await Promise.all(sockets.map(open))
    expect(outcomes.filter((outcome) => outcome === 'open')).toHaveLength(PER_ADDRESS)
    expect(outcomes.filter((outcome) => outcome === 429)).toHaveLength(5)
    // Nothing was sent on them: the idle timeout closes every one.
    const codes = await Promise.all(sockets.filter((_socket, index) => outcomes[index] === 'open').map(closed))
    expect(codes).toHaveLength(PER_ADDRESS)
    expect((await fetch(`${topology.proxy.baseUrl}/health`)).status).toBe(200)
    expect(afterFramesRss).toBeLessThanOrEqual(idleRss * 1.3)
    report('abuse: websockets', {
      idleRssMb: Math.round(idleRss / 1e6),
      afterOversizedFramesRssMb: Math.round(afterFramesRss / 1e6),
      oversizedFrameCloses: frameCloses,
      openedPerAddress: PER_ADDRESS,
      refused: 5,
      idleClosed: codes.length,
    })
  }, 120_000)
})
