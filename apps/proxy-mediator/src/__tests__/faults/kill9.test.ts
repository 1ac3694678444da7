import { STARTUP_TIMEOUT_MS, report, useProcessTopology } from './support/processTopology'

// kill -9 of the proxy in the middle of a stream of 500 messages, then a restart on the same
// storage and wallet key with no set-up call. At-least-once: every message arrives, duplicates
// are allowed and counted. The external mediator keeps every unacknowledged message and offers
// it again after its visibility timeout.
const TOTAL = 500
const KILL_AFTER = 100

describe('fault: kill -9 of the proxy mid-stream', () => {
  const useTopology = useProcessTopology()

  it(`delivers all ${TOTAL} messages at least once across a SIGKILL and a restart`, async () => {
    const topology = useTopology()
    const expected = await topology.stream('kill9', TOTAL)

    // Mid-stream: once the agent has some of the messages, and the sender is still sending.
    const deadline = Date.now() + 120_000
    while ((await topology.agent.request<number>('receivedCount')) < KILL_AFTER) {
      if (Date.now() > deadline) throw new Error(`the agent never reached ${KILL_AFTER} messages`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const killed = topology.proxy
    killed.signal('SIGKILL')
    expect(await killed.exited()).toEqual({ code: null, signal: 'SIGKILL' })
    const atKill = await topology.deliveryReport(expected)
    const sentAtKill = (await topology.progress()).sent
    expect(atKill.unique).toBeLessThan(TOTAL)

    await topology.startProxy()
    await topology.waitForProxyStatus('ready', STARTUP_TIMEOUT_MS)

    const delivered = await topology.waitForDelivery(expected, 240_000)
    const progress = await topology.progress()
    expect(progress.failed).toEqual([])
    expect(progress.sent).toBe(TOTAL)
    expect(delivered.unique).toBe(TOTAL)
    expect(delivered.missing).toEqual([])
    report('kill -9 mid-stream', {
      sent: TOTAL,
      sentBeforeKill: sentAtKill,
      deliveredBeforeKill: atKill.unique,
      deliveries: delivered.received,
      unique: delivered.unique,
      duplicates: delivered.duplicates,
    })
  }, 420_000)
})
