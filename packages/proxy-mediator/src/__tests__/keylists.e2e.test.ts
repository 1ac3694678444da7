import { join } from 'node:path'
import { AgentEventTypes, type AgentMessageSentEvent, DidKey, MediationRepository, MediationRole } from '@credo-ts/core'
import {
  freePort,
  randomVerkeys,
  registerKeys,
  startEdgeAgent,
  useProxyAsMediator,
  waitFor,
} from '@proxy-mediator/topology'
import { AgentKeyRepository } from '../repository/AgentKeyRepository'
import { startProxy } from './support/startProxy'
import { type Topology, sendMessages, startTopology } from './support/topology'

const MAX_KEYS = 3_000

/** The status of the topology's own agent (the first to connect). */
const firstAgentOf = (topology: Topology) => {
  const [first] = topology.proxy.api.getStatus().agents
  const agent = topology.proxy.api.getStatus().agents.find(({ connectionId }) => connectionId === firstAgentId)
  return agent ?? first
}
let firstAgentId: string | undefined
const keyCountOf = (topology: Topology) => firstAgentOf(topology)?.keyCount ?? 0

describe('keylists: an index, bounded per agent', () => {
  let topology: Topology

  beforeAll(async () => {
    topology = await startTopology({ proxy: { maxKeysPerAgent: MAX_KEYS } })
    firstAgentId = topology.proxy.api.getStatus().agents[0].connectionId
  }, 60_000)

  afterAll(async () => {
    await topology?.stop()
  })

  it('registers 2,500 keys from the agent in batches of 500, one record each, and keeps relaying', async () => {
    const before = keyCountOf(topology)
    const keys = randomVerkeys(2_500)
    const results = await registerKeys(topology.agent.agent, keys, { batchSize: 500 })
    expect(results).toEqual({ success: 2_500 })
    expect(keyCountOf(topology)).toBe(before + 2_500)
    const indexed = await topology.proxy.agent.dependencyManager
      .resolve(AgentKeyRepository)
      .findByQuery(topology.proxy.agent.context, { connectionId: firstAgentId })
    expect(indexed.length).toBe(before + 2_500)
    // Credo's own record of the mediation no longer holds the keylist.
    const [mediation] = await topology.proxy.agent.dependencyManager
      .resolve(MediationRepository)
      .findByQuery(topology.proxy.agent.context, { role: MediationRole.Mediator, connectionId: firstAgentId })
    expect(mediation.recipientKeys).toEqual([])

    const received = topology.agent.received.length
    const sent = await sendMessages(topology, 'after-2500-keys', 3)
    await waitFor(() => topology.agent.received.length - received, 3, 30_000)
    expect(new Set(topology.agent.received.slice(received))).toEqual(new Set(sent))
  }, 120_000)

  it('refuses an update past the per-agent cap whole, with a problem report that names the cap', async () => {
    const problemReports: string[] = []
    topology.proxy.agent.events.on<AgentMessageSentEvent>(AgentEventTypes.AgentMessageSent, (event) => {
      const message = event.payload.message.message.toJSON() as { '@type': string; description?: { en?: string } }
      if (message['@type'].endsWith('/problem-report')) problemReports.push(message.description?.en ?? '')
    })
    const before = keyCountOf(topology)
    const tooMany = randomVerkeys(MAX_KEYS - before + 1)
    await expect(
      registerKeys(topology.agent.agent, tooMany, { batchSize: tooMany.length, timeoutMs: 5_000 }),
    ).rejects.toThrow()
    await waitFor(() => problemReports.length, 1, 10_000, 'a problem report')
    expect(problemReports[0]).toContain(`at most ${MAX_KEYS} are kept per agent`)
    expect(keyCountOf(topology)).toBe(before)
  }, 60_000)

  it('does not give a second agent a key the first one registered', async () => {
    const second = await startEdgeAgent({ port: await freePort(), label: 'second-agent' })
    try {
      const { invitationUrl } = await topology.proxy.api.getAgentInvitation()
      await useProxyAsMediator(second.agent, invitationUrl)
      const [firstAgentKey] = firstAgentOf(topology).recipientKeys
      const { key } = DidKey.fromDid(firstAgentKey)
      const fresh = randomVerkeys(1)
      expect(await registerKeys(second.agent, [key.publicKeyBase58, ...fresh])).toEqual({
        client_error: 1,
        success: 1,
      })
      const other = topology.proxy.api.getStatus().agents.find(({ connectionId }) => connectionId !== firstAgentId)
      expect(firstAgentOf(topology).recipientKeys).toContain(firstAgentKey)
      expect(other?.keyCount).toBe(1)
      expect(other?.recipientKeys).not.toContain(firstAgentKey)
    } finally {
      await second.stop()
    }
  }, 60_000)

  it('finds every key again after a restart, and moves keys Credo kept in the mediation record to the index', async () => {
    const { agent } = topology.proxy
    const { context } = agent
    const mediations = agent.dependencyManager.resolve(MediationRepository)
    const [mediation] = await mediations.findByQuery(context, {
      role: MediationRole.Mediator,
      connectionId: firstAgentId,
    })
    // As a proxy before the index kept them.
    const legacyKeys = randomVerkeys(3)
    mediation.recipientKeys = legacyKeys
    await mediations.update(context, mediation)
    const before = keyCountOf(topology)

    const port = Number(new URL(topology.proxy.endpoints[0]).port)
    await topology.proxy.stop()
    // Resumed from its store, with no call.
    topology.proxy = await startProxy({ port, storagePath: join(topology.dir, 'proxy'), maxKeysPerAgent: MAX_KEYS })

    expect(keyCountOf(topology)).toBe(before)
    const [reloaded] = await topology.proxy.agent.dependencyManager
      .resolve(MediationRepository)
      .findByQuery(topology.proxy.agent.context, { role: MediationRole.Mediator, connectionId: firstAgentId })
    expect(reloaded.recipientKeys).toEqual([])
    const indexed = await topology.proxy.agent.dependencyManager
      .resolve(AgentKeyRepository)
      .getAll(topology.proxy.agent.context)
    expect(indexed.map(({ recipientKey }) => recipientKey)).toEqual(expect.arrayContaining(legacyKeys))
  }, 120_000)
})
