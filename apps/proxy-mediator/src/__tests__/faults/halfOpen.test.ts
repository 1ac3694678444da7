import { type ProxyStatus, STARTUP_TIMEOUT_MS, report, useProcessTopology } from './support/processTopology'

// A half-open websocket: the external mediator process is frozen with SIGSTOP, so its TCP
// socket stays open (the kernel still acknowledges) but nothing answers the proxy's pings.
// The keepalive terminates a socket whose pong has not come back by the next ping, so the
// proxy must see it within two keepalive intervals of the freeze.
const KEEPALIVE_MS = 1000
// Margin over 2 x keepalive for the scheduler on a loaded 2-core CI machine, this poll's period
// (100 ms) and the GET /status round trip. It bounds the wait; no duration is measured.
const SCHEDULER_MARGIN_MS = 1000
const MESSAGES = 10

describe('fault: a half-open websocket to the external mediator', () => {
  const useTopology = useProcessTopology({ keepaliveIntervalMs: KEEPALIVE_MS })

  it('is detected within twice the keepalive interval, and pickup resumes after the peer thaws', async () => {
    const topology = useTopology()
    const before = await topology.waitForProxyStatus('ready', 30_000, (body) => body.upstream.socketState === 'open')
    const logLinesBefore = topology.proxy.logLines.length

    topology.mediator.signal('SIGSTOP')
    let detected: ProxyStatus
    try {
      detected = await topology.proxy.waitForJson<ProxyStatus>(
        '/status',
        (body) => body.upstream.socketState !== 'open',
        2 * KEEPALIVE_MS + SCHEDULER_MARGIN_MS,
        'the half-open socket to be detected',
      )
    } finally {
      topology.mediator.signal('SIGCONT')
    }
    expect(detected.status).toBe('setup')
    const closedLogged = topology.proxy.logLines
      .slice(logLinesBefore)
      .some((line) => line.includes('The websocket to the external mediator closed; reconnecting'))
    expect(closedLogged).toBe(true)

    const after = await topology.waitForProxyStatus(
      'ready',
      STARTUP_TIMEOUT_MS,
      (body) => body.upstream.socketState === 'open',
    )
    expect(after.upstream.reconnects).toBeGreaterThan(before.upstream.reconnects)

    const expected = await topology.stream('after-half-open', MESSAGES)
    const delivered = await topology.waitForDelivery(expected, 90_000)
    expect(delivered.unique).toBe(MESSAGES)
    report('half-open websocket', {
      keepaliveMs: KEEPALIVE_MS,
      detectedWithinMs: 2 * KEEPALIVE_MS + SCHEDULER_MARGIN_MS,
      socketStateAtDetection: detected.upstream.socketState,
      reconnects: after.upstream.reconnects - before.upstream.reconnects,
      sentAfter: MESSAGES,
      unique: delivered.unique,
      duplicates: delivered.duplicates,
    })
  }, 240_000)
})
