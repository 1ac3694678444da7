import { report, useProcessTopology } from './support/processTopology'

// The agent is down for 30 s while messages flow (one a second through the external mediator).
// The proxy cannot relay them and acknowledges none, so the external mediator keeps them; all
// are delivered after the agent comes back on the same port and storage.
const OUTAGE_MS = 30_000
const MESSAGES = 30

describe('fault: the agent is down for 30 s', () => {
  const useTopology = useProcessTopology()

  it(`delivers all ${MESSAGES} messages sent during the outage once the agent is back`, async () => {
    const topology = useTopology()
    const before = await topology.status()
    expect(await topology.agent.stop()).toEqual({ code: 0, signal: null })

    const expected = await topology.stream('agent-down', MESSAGES, OUTAGE_MS / MESSAGES)
    // The outage lasts while the messages flow.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS))
    const progress = await topology.progress()
    const during = await topology.status()
    const held = await topology.mediator.request<number>('queueSize')
    // Relays were attempted and failed; none succeeded; the mediator still holds the messages.
    expect(during.counters.failedAttempts).toBeGreaterThan(before.counters.failedAttempts)
    expect(during.counters.relayed).toBe(before.counters.relayed)
    expect(held).toBeGreaterThan(0)
    expect(progress.failed).toEqual([])

    await topology.startAgent()
    const delivered = await topology.waitForDelivery(expected, 150_000)
    expect(delivered.unique).toBe(MESSAGES)
    expect((await topology.progress()).sent).toBe(MESSAGES)
    report('agent down 30 s', {
      sent: MESSAGES,
      sentDuringOutage: progress.sent,
      failedRelaysDuringOutage: during.counters.failedAttempts - before.counters.failedAttempts,
      heldUpstreamAtEndOfOutage: held,
      deliveries: delivered.received,
      unique: delivered.unique,
      duplicates: delivered.duplicates,
    })
  }, 300_000)
})
