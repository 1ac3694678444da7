import { STARTUP_TIMEOUT_MS, report, useProcessTopology } from './support/processTopology'

// The external mediator restarts (graceful stop, same port, wallet and queue file). The proxy
// notices, reconnects with no call, and messages flow again.
const MESSAGES = 20

describe('fault: the external mediator restarts', () => {
  const useTopology = useProcessTopology()

  it('reconnects and goes on relaying', async () => {
    const topology = useTopology()
    const warmUp = await topology.stream('before-restart', 5)
    await topology.waitForDelivery(warmUp, 60_000)
    const before = await topology.status()

    expect(await topology.mediator.stop()).toEqual({ code: 0, signal: null })
    const noticed = await topology.waitForProxyStatus('setup', 30_000)
    expect(noticed.upstream.socketState).not.toBe('open')

    await topology.startMediator()
    const after = await topology.waitForProxyStatus('ready', STARTUP_TIMEOUT_MS)
    expect(after.upstream.reconnects).toBeGreaterThan(before.upstream.reconnects)
    expect(after.upstream.socketState).toBe('open')

    const expected = await topology.stream('after-restart', MESSAGES)
    const delivered = await topology.waitForDelivery(expected, 90_000)
    expect(delivered.unique).toBe(MESSAGES)
    report('external mediator restart', {
      sent: MESSAGES,
      reconnects: after.upstream.reconnects - before.upstream.reconnects,
      deliveries: delivered.received,
      unique: delivered.unique,
      duplicates: delivered.duplicates,
    })
  }, 240_000)
})
