import { join } from 'node:path'
import { DidKey, KeyType, KeylistUpdateAction, MediationRepository, MediationRole } from '@credo-ts/core'
import { connectTo, createMediatedInvitationUrl, startExternalMediator, waitFor } from '@proxy-mediator/topology'
import { RelayPipeline } from '../services/relay/RelayPipeline'
import { verkeyToDidKey } from '../utils/keys'
import { type Topology, sendMessages, startTopology } from './support/topology'

/**
 * Transparent relay mode (RFC 0046: a relay, not a mediator), real Credo agents on loopback: the
 * agent's grant names the external mediator's keys only, its keylist is mirrored upstream, and its
 * envelopes are relayed unopened.
 */
describe('transparent relay mode', () => {
  let topology: Topology
  const submitted = jest.spyOn(RelayPipeline.prototype, 'submit')

  beforeAll(async () => {
    topology = await startTopology({ proxy: { relayMode: 'transparent' } })
  })

  afterAll(async () => {
    await topology?.stop()
  })

  /** The keys the external mediator routes to the proxy, as base58. */
  async function keysRoutedToProxy(): Promise<string[]> {
    const records = await topology.mediator.agent.dependencyManager
      .resolve(MediationRepository)
      .findByQuery(topology.mediator.agent.context, { role: MediationRole.Mediator })
    return records.flatMap((record) => record.recipientKeys)
  }

  it("grants the agent the external mediator's route alone, and registers the agent's key there", async () => {
    const mediationRecord = await topology.agent.agent.mediationRecipient.findDefaultMediator()
    expect(mediationRecord?.endpoint).toBe(topology.mediator.endpoints[0])
    const { routingKeys } = topology.proxy.api.getStatus().upstream
    expect(mediationRecord?.routingKeys.map(verkeyToDidKey)).toEqual(routingKeys)
    const [agentStatus] = topology.proxy.api.getStatus().agents
    const agentKeys = agentStatus.recipientKeys.map((did) => DidKey.fromDid(did).key.publicKeyBase58)
    expect(agentKeys.length).toBeGreaterThan(0)
    expect(await keysRoutedToProxy()).toEqual(expect.arrayContaining(agentKeys))
  })

  it("relays the agent's own envelopes, unopened", async () => {
    const sent = await sendMessages(topology, 'transparent', 20)
    await waitFor(() => topology.agent.received.length, 20, 30_000)
    expect(new Set(topology.agent.received)).toEqual(new Set(sent))
    const layers = submitted.mock.calls.map(([, layer]) => Object.keys(layer)[0])
    expect(layers).toContain('unopened')
    expect(layers).not.toContain('encrypted')
  })

  it('relays nothing more for a key the agent removed from its keylist', async () => {
    const agent = topology.agent.agent
    // A second connection with a key of its own, to know when the mediator has passed the first message.
    const second = await connectTo(topology.sender.agent, await createMediatedInvitationUrl(agent))
    const removedConnection = await topology.sender.agent.connections.getById(topology.senderConnectionId)
    const theirConnection = (await agent.connections.getAll()).find((c) => c.theirDid === removedConnection.did)
    if (!theirConnection?.did) throw new Error('no connection of the agent to the sender')
    const [removedKey] = (await agent.dids.resolveDidDocument(theirConnection.did)).recipientKeys

    const mediator = await agent.mediationRecipient.findDefaultMediator()
    const mediatorConnection = await agent.connections.getById(mediator?.connectionId ?? '')
    await agent.mediationRecipient.notifyKeylistUpdate(
      mediatorConnection,
      removedKey.publicKeyBase58,
      KeylistUpdateAction.remove,
    )
    const deadline = Date.now() + 30_000
    while ((await keysRoutedToProxy()).includes(removedKey.publicKeyBase58)) {
      if (Date.now() > deadline) throw new Error('the removal was not mirrored to the external mediator')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }

    const before = topology.agent.received.length
    await topology.sender.agent.basicMessages.sendMessage(topology.senderConnectionId, 'to-the-removed-key')
    await topology.sender.agent.basicMessages.sendMessage(second.id, 'to-a-kept-key')
    await waitFor(() => topology.agent.received.filter((m) => m === 'to-a-kept-key').length, 1, 30_000)
    expect(topology.agent.received.slice(before)).toEqual(['to-a-kept-key'])
  })

  it('mirrors a key the agent added while the external mediator was down, once it is back', async () => {
    const { mediator } = topology
    const port = Number(new URL(mediator.endpoints[0]).port)
    await mediator.stop()
    await waitFor(() => (topology.proxy.api.getStatus().status === 'setup' ? 1 : 0), 1, 30_000, 'the proxy to notice')

    const agent = topology.agent.agent
    const newKey = await agent.wallet.createKey({ keyType: KeyType.Ed25519 })
    const proxyConnectionId = (await agent.mediationRecipient.findDefaultMediator())?.connectionId ?? ''
    // The proxy takes the key into its own keylist; the agent has no reason to send it again.
    await agent.mediationRecipient.notifyKeylistUpdate(
      await agent.connections.getById(proxyConnectionId),
      newKey.publicKeyBase58,
      KeylistUpdateAction.add,
    )
    await waitFor(
      () =>
        topology.proxy.api
          .getStatus()
          .agents.flatMap((status) => status.recipientKeys)
          .filter((did) => DidKey.fromDid(did).key.publicKeyBase58 === newKey.publicKeyBase58).length,
      1,
      30_000,
      "the key in the proxy's keylist",
    )

    topology.mediator = await startExternalMediator({
      port,
      storagePath: join(topology.dir, 'mediator'),
      queue: mediator.queue,
    })
    const deadline = Date.now() + 60_000
    while (!(await keysRoutedToProxy()).includes(newKey.publicKeyBase58)) {
      if (Date.now() > deadline) throw new Error('the key added while the mediator was down was never mirrored')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
})
