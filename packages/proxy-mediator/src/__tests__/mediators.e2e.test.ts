import { join } from 'node:path'
import {
  type EdgeAgent,
  type ExternalMediator,
  connectTo,
  createMediatedInvitationUrl,
  freePort,
  startEdgeAgent,
  startExternalMediator,
  useProxyAsMediator,
  waitFor,
} from '@proxy-mediator/topology'
import { MediatorChangeRefusedError } from '../errors/MediatorChangeRefusedError'
import { type Topology, startTopology } from './support/topology'

/**
 * Several external mediators in one proxy, with real Credo agents on loopback: a second mediator
 * added as primary while the first drains, both picked up from, and removal refused while the
 * old one still has relays in flight.
 */
describe('several external mediators', () => {
  let topology: Topology
  let second: ExternalMediator
  let lateAgent: EdgeAgent | undefined

  beforeAll(async () => {
    topology = await startTopology()
    second = await startExternalMediator({
      port: await freePort(),
      label: 'second-mediator',
      storagePath: join(topology.dir, 'second-mediator'),
    })
  })

  afterAll(async () => {
    await lateAgent?.stop().catch(() => undefined)
    await second?.stop().catch(() => undefined)
    await topology?.stop()
  })

  it('adds a second mediator as primary: the first drains, both are picked up from, new grants name the second', async () => {
    const first = topology.proxy.api.getStatus().mediators[0]
    const { change, mediators, status } = await topology.proxy.api.connectToMediator(await second.createInvitationUrl())
    expect(change).toMatchObject({ result: 'added', role: 'primary', previousPrimaryId: first.id })
    expect(status).toBe('ready')
    expect(mediators.map(({ role, state }) => [role, state])).toEqual([
      ['primary', 'ready'],
      ['draining', 'ready'],
    ])
    expect(mediators[0].endpoint).toBe(second.endpoints[0])

    // The same invitation again changes nothing.
    const again = await topology.proxy.api.connectToMediator(await second.createInvitationUrl())
    expect(again.change.result).toBe('unchanged')
    expect(again.mediators).toHaveLength(2)

    // An agent that connects now is granted the second mediator's route.
    lateAgent = await startEdgeAgent({ port: await freePort(), label: 'late-agent' })
    const { invitationUrl } = await topology.proxy.api.getAgentInvitation()
    const { mediationRecord } = await useProxyAsMediator(lateAgent.agent, invitationUrl)
    expect(mediationRecord.endpoint).toBe(second.endpoints[0])
  })

  it('relays through both: the old route of existing connections and the new one', async () => {
    if (!lateAgent) throw new Error('the previous test did not run')
    const throughFirst = Array.from({ length: 10 }, (_, i) => `first-${i}`)
    for (const content of throughFirst) {
      await topology.sender.agent.basicMessages.sendMessage(topology.senderConnectionId, content)
    }
    const toLate = await connectTo(topology.sender.agent, await createMediatedInvitationUrl(lateAgent.agent))
    const throughSecond = Array.from({ length: 10 }, (_, i) => `second-${i}`)
    for (const content of throughSecond) await topology.sender.agent.basicMessages.sendMessage(toLate.id, content)

    await waitFor(() => topology.agent.received.filter((m) => m.startsWith('first-')).length, 10, 30_000)
    await waitFor(() => lateAgent?.received.filter((m) => m.startsWith('second-')).length ?? 0, 10, 30_000)
    expect(new Set(topology.agent.received.filter((m) => m.startsWith('first-')))).toEqual(new Set(throughFirst))
    expect(new Set(lateAgent.received)).toEqual(new Set(throughSecond))
  })

  it('refuses to remove the primary while another exists, and a mediator whose forwards are still being relayed unless forced', async () => {
    const [primary, draining] = topology.proxy.api.getStatus().mediators
    await expect(topology.proxy.api.removeMediator(primary.id)).rejects.toBeInstanceOf(MediatorChangeRefusedError)
    await expect(topology.proxy.api.drainMediator(primary.id)).rejects.toBeInstanceOf(MediatorChangeRefusedError)

    // With the agent down, forwards picked up from the draining mediator wait in the relay, unacknowledged.
    await topology.agent.stop()
    await topology.sender.agent.basicMessages.sendMessage(topology.senderConnectionId, 'held')
    await waitFor(
      () => topology.proxy.api.getStatus().mediators.find((m) => m.id === draining.id)?.relaysInFlight ?? 0,
      1,
      30_000,
      'relays in flight',
    )
    await expect(topology.proxy.api.removeMediator(draining.id)).rejects.toThrow(/let it drain, or force/)

    const forced = await topology.proxy.api.removeMediator(draining.id, { force: true })
    expect(forced.result).toBe('removed')
    expect(forced.abandoned?.relaysInFlight).toBeGreaterThanOrEqual(1)
    expect(topology.proxy.api.getStatus().mediators.map((m) => m.id)).toEqual([primary.id])
  })
})
