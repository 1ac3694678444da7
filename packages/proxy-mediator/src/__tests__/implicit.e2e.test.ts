import { type RecordSavedEvent, RepositoryEventTypes } from '@credo-ts/core'
import { waitFor } from '@proxy-mediator/topology'
import { OutboxRecord } from '../repository/OutboxRecord'
import { OutboxRepository } from '../repository/OutboxRepository'
import { type Topology, sendMessages, startTopology } from './support/topology'

describe('relay through the proxy, implicit pickup (an ACA-Py-style mediator)', () => {
  let topology: Topology

  beforeAll(async () => {
    // DirectDelivery pushes forwards down the socket the proxy's trust ping opened, as ACA-Py does.
    topology = await startTopology({ proxy: { pickupStrategy: 'implicit' }, mediatorForwarding: 'DirectDelivery' })
  })

  afterAll(async () => {
    await topology?.stop()
  })

  it('delivers 50 messages, each exactly once, through the durable outbox', async () => {
    expect(topology.proxy.api.getStatus().upstream.pickupMode).toBe('implicit')
    let outboxWrites = 0
    topology.proxy.agent.events.on<RecordSavedEvent<OutboxRecord>>(RepositoryEventTypes.RecordSaved, (event) => {
      if (event.payload.record.type === OutboxRecord.type) outboxWrites++
    })
    const sent = await sendMessages(topology, 'implicit', 50)
    await waitFor(() => topology.agent.received.length, 50, 60_000)
    expect([...topology.agent.received].sort()).toEqual([...sent].sort())
    // Every message went through the outbox and left it once the agent answered 2xx.
    await waitFor(() => (topology.proxy.api.getStatus().counters.outbox === 0 ? 1 : 0), 1, 10_000, 'an empty outbox')
    // 50 basic messages, plus the DID exchange `complete` the sender may still have had in flight.
    expect(outboxWrites).toBeGreaterThanOrEqual(50)
    const outbox = topology.proxy.agent.dependencyManager.resolve(OutboxRepository)
    expect(await outbox.getAll(topology.proxy.agent.context)).toHaveLength(0)
  })
})

describe('legacy peers: a c_i= mediator invitation and did:sov-prefixed message types', () => {
  let topology: Topology

  beforeAll(async () => {
    topology = await startTopology({ legacy: true })
  })

  afterAll(async () => {
    await topology?.stop()
  })

  it('connects upstream through connections 1.0 and relays did:sov-prefixed forwards', async () => {
    const { mediatorConnectionId } = topology.proxy.api.getStatus().upstream
    const upstreamConnection = await topology.proxy.agent.connections.getById(mediatorConnectionId ?? '')
    expect(upstreamConnection.protocol).toMatch(/^https:\/\/didcomm.org\/connections\/1\./)

    const forwardTypes: string[] = []
    const original = topology.sender.agent.context.wallet.pack.bind(topology.sender.agent.context.wallet)
    topology.sender.agent.context.wallet.pack = async (payload, recipientKeys, senderVerkey) => {
      forwardTypes.push(String(payload['@type']))
      return original(payload, recipientKeys, senderVerkey)
    }
    const sent = await sendMessages(topology, 'legacy', 5)
    await waitFor(() => topology.agent.received.length, 5, 60_000)
    expect(new Set(topology.agent.received)).toEqual(new Set(sent))
    expect(forwardTypes).toContain('did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/routing/1.0/forward')
    expect(forwardTypes).toContain('did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/basicmessage/1.0/message')
  })
})
