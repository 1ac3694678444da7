import { DidKey } from '@credo-ts/core'
import { report, useProcessTopology } from '../faults/support/processTopology'

// Transparent relay mode end to end (--relay-mode transparent), in processes: a stock Credo
// mediator, the real runner, an HTTP-only Credo agent and a sender. The agent's grant names the
// external mediator's routing keys only; the proxy registers the agent's keys with the mediator, so
// the mediator queues the agent's own envelopes for the proxy, which relays them unopened. When the
// agent removes a key from its keylist, the proxy removes it upstream too, and messages to that
// key are no longer relayed.

const DELIVERY_MS = 120_000
const base58 = (didKey: string) => DidKey.fromDid(didKey).key.publicKeyBase58

describe('transparent relay mode, in processes', () => {
  const topology = useProcessTopology({ runnerArgs: ['--relay-mode', 'transparent'] })

  it("grants the mediator's routing keys only, relays, and stops relaying a key the agent removed", async () => {
    const t = topology()
    const status = await t.status()
    const [mediator] = status.mediators
    const grant = await t.agent.request<{ endpoint: string; routingKeys: string[] }>('defaultMediation')
    expect(grant.endpoint).toBe(mediator.endpoint)
    expect(grant.routingKeys).toEqual(mediator.routingKeys.map(base58))
    expect(grant.routingKeys).not.toContain(base58(status.upstream.proxyRoutingKey!))

    const keptInvitation = await t.connectSender('kept')
    const removedInvitation = await t.connectSender('removed')
    expect(keptInvitation).not.toBe(removedInvitation)
    const before = [...(await t.stream('kept-before', 10, 0, 'kept'))]
    await t.waitForDelivery(before, DELIVERY_MS)
    before.push(...(await t.stream('removed-before', 10, 0, 'removed')))
    const first = await t.waitForDelivery(before, DELIVERY_MS)
    expect(first.missing).toEqual([])
    // Relayed unopened: the proxy never had a forward layer of its own to open or to refuse.
    expect((await t.status()).counters.deadLettered).toBe(0)

    const removedKeys = await t.agent.request<string[]>('removeInvitationKeys', removedInvitation)
    expect(removedKeys.length).toBeGreaterThan(0)
    await t.waitForProxyStatus('ready', DELIVERY_MS, (body) =>
      body.agents.every((agent) => agent.recipientKeys.every((key) => !removedKeys.includes(key))),
    )

    // First to the removed key, then to the kept one: once the kept ones are in, the others had their turn.
    const afterRemoval = await t.stream('removed-after', 10, 0, 'removed')
    await waitUntil(async () => (await t.progress()).done, DELIVERY_MS)
    const markers = await t.stream('kept-after', 10, 0, 'kept')
    const marked = await t.waitForDelivery(markers, DELIVERY_MS)
    expect(marked.missing).toEqual([])
    const stray = await t.deliveryReport(afterRemoval)
    expect(stray.unique).toBe(0)
    // The mediator no longer routes the key, so once the markers' acknowledgements (batched) are in,
    // it holds nothing for the proxy: what it queued was all relayed, and none of it was stray.
    await waitUntil(async () => (await t.mediator.request<number>('queueSize')) === 0, DELIVERY_MS)
    expect(await t.mediator.request<number>('queueSize')).toBe(0)
    report('transparent mode, key removed', {
      sentBefore: first.sent,
      receivedBefore: first.unique,
      removedKeys: removedKeys.length,
      sentToRemovedKey: afterRemoval.length,
      receivedForRemovedKey: stray.received,
      markersReceived: marked.unique,
      duplicates: first.duplicates + marked.duplicates,
    })
  }, 300_000)
})

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
