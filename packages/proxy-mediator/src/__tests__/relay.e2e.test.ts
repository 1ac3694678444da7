import { waitFor } from '@proxy-mediator/topology'
import { UpstreamChannel } from '../services/upstream/UpstreamChannel'
import { type Topology, sendMessages, startTopology } from './support/topology'

describe('relay through the proxy, pickup 2.0 live mode', () => {
  let topology: Topology
  const framesTaken = jest.spyOn(UpstreamChannel.prototype, 'receiveFrame')
  // Which way each acknowledgement went ('socket', 'message-sender' or 'failed').
  const acknowledgements = jest.spyOn(UpstreamChannel.prototype, 'sendAcknowledgement')

  beforeAll(async () => {
    topology = await startTopology()
  })

  afterAll(async () => {
    await topology?.stop()
  })

  it('returns a complete status from connectToMediator, without waiting for a later state change', () => {
    const { status, upstream } = topology.connectStatus
    expect(status).toBe('ready')
    expect(upstream.endpoint).toBe(topology.mediator.endpoints[0])
    expect(upstream.routingKeys.length).toBeGreaterThan(0)
    expect(upstream.proxyRoutingKey).toMatch(/^did:key:/)
  })

  it('grants the agent mediation with the external endpoint and both routing keys', async () => {
    const status = topology.proxy.api.getStatus()
    expect(status.status).toBe('ready')
    expect(status.upstream.pickupMode).toBe('live')
    const mediationRecord = await topology.agent.agent.mediationRecipient.findDefaultMediator()
    expect(mediationRecord?.endpoint).toBe(topology.mediator.endpoints[0])
    expect(mediationRecord?.routingKeys).toHaveLength(2)
    expect(status.agents).toHaveLength(1)
  })

  it('delivers 50 messages to the agent, each exactly once', async () => {
    const sent = await sendMessages(topology, 'live', 50)
    await waitFor(() => topology.agent.received.length, 50, 60_000)
    expect([...topology.agent.received].sort()).toEqual([...sent].sort())
    expect(new Set(topology.agent.received).size).toBe(50)
    expect(topology.proxy.api.getStatus().counters.relayed).toBeGreaterThanOrEqual(50)
    // Deliveries were taken from the socket by the channel, and acknowledgements went back on the socket.
    const outcomes = async (spy: jest.SpyInstance) => Promise.all(spy.mock.results.map((result) => result.value))
    expect(await outcomes(framesTaken)).toContain(true)
    expect(await outcomes(acknowledgements)).toContain('socket')
  })
})
