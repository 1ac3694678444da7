import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MediationRepository, MediationRole } from '@credo-ts/core'
import { AcapyLikeAgent, ForwardingSender } from '@proxy-mediator/acapy-like-peer'
import { type ExternalMediator, freePort, startExternalMediator, waitFor } from '@proxy-mediator/topology'
import { type TestProxy, type TestProxyOptions, startProxy } from '../support/startProxy'

const MESSAGES = 10

/**
 * What the several-mediator and transparent features look like to ACA-Py, with the agent and the
 * sender of `@proxy-mediator/acapy-like-peer` (no Credo code): a switch of mediator reaches the agent
 * as a fresh mediate-grant, which ACA-Py applies; in transparent mode the grant names the external
 * mediator alone and the agent's keylist is mirrored there.
 */
describe('ACA-Py conformance: routes across mediators, transparent mode', () => {
  let dir: string
  const mediators: ExternalMediator[] = []
  const proxies: TestProxy[] = []
  const agents: AcapyLikeAgent[] = []
  let sender: ForwardingSender

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acapy-routes-'))
    sender = await ForwardingSender.create()
  })

  afterAll(async () => {
    for (const agent of agents) await agent.stop()
    for (const proxy of proxies) await proxy.stop()
    for (const mediator of mediators) await mediator.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  async function mediator(name: string) {
    const started = await startExternalMediator({ port: await freePort(), label: name, storagePath: join(dir, name) })
    mediators.push(started)
    return started
  }

  async function proxyWith(name: string, options: Partial<TestProxyOptions>) {
    const proxy = await startProxy({ port: await freePort(), storagePath: join(dir, name), ...options })
    proxies.push(proxy)
    return proxy
  }

  async function mediatedAgent(proxy: TestProxy) {
    const agent = await AcapyLikeAgent.start({})
    agents.push(agent)
    await agent.connect((await proxy.api.getAgentInvitation()).invitationUrl, {
      protocol: 'didexchange/1.1',
      did: 'unqualified',
    })
    await agent.requestMediation()
    await agent.registerKey()
    return agent
  }

  async function deliver(agent: AcapyLikeAgent, tag: string) {
    const contents = Array.from({ length: MESSAGES }, (_, index) => `${tag}-${index}`)
    await sender.send(
      { recipientKey: agent.routedKey.verkey, ...(agent.grant ?? { endpoint: '', routingKeys: [] }) },
      contents,
    )
    await waitFor(() => agent.basicMessages().filter((m) => m.startsWith(`${tag}-`)).length, MESSAGES, 60_000, tag)
    expect(new Set(agent.basicMessages().filter((m) => m.startsWith(`${tag}-`)))).toEqual(new Set(contents))
  }

  it('tells the agent of a new primary with a fresh grant, which it applies; both routes relay', async () => {
    const first = await mediator('first')
    const second = await mediator('second')
    const proxy = await proxyWith('proxy', {})
    await proxy.api.connectToMediator(await first.createInvitationUrl())
    const agent = await mediatedAgent(proxy)
    const oldRoute = agent.grant
    expect(oldRoute?.endpoint).toBe(first.endpoints[0])
    await deliver(agent, 'before')

    const { change } = await proxy.api.connectToMediator(await second.createInvitationUrl())
    expect(change).toMatchObject({ result: 'added', role: 'primary', agentsAnnouncedTo: 1 })
    const newRoute = await agent.takeNewGrant()
    expect(newRoute.endpoint).toBe(second.endpoints[0])
    expect(newRoute.routingKeys).toHaveLength(2)
    expect(newRoute.routingKeys[0]).toBe(oldRoute?.routingKeys[0])

    await deliver(agent, 'after')
    // A sender holding the old route still reaches the agent, through the draining mediator.
    if (!oldRoute) throw new Error('no old route')
    const old = Array.from({ length: MESSAGES }, (_, index) => `old-route-${index}`)
    await sender.send({ recipientKey: agent.routedKey.verkey, ...oldRoute }, old)
    await waitFor(() => agent.basicMessages().filter((m) => m.startsWith('old-route-')).length, MESSAGES, 60_000)
  })

  it("in transparent mode, grants the mediator's route alone and mirrors the agent's keylist there", async () => {
    const upstream = await mediator('transparent-mediator')
    const proxy = await proxyWith('transparent-proxy', { relayMode: 'transparent' })
    await proxy.api.connectToMediator(await upstream.createInvitationUrl())
    const agent = await mediatedAgent(proxy)
    expect(agent.grant?.endpoint).toBe(upstream.endpoints[0])
    expect(agent.grant?.routingKeys).toHaveLength(1)
    const routedUpstream = async () =>
      (
        await upstream.agent.dependencyManager
          .resolve(MediationRepository)
          .findByQuery(upstream.agent.context, { role: MediationRole.Mediator })
      ).flatMap((record) => record.recipientKeys)
    expect(await routedUpstream()).toContain(agent.routedKey.verkey)
    await deliver(agent, 'transparent')

    const { updated } = await agent.registerKey(agent.routedKey.verkey, 'remove')
    expect(updated.result).toBe('success')
    expect(await agent.queryKeylist()).toEqual([])
    expect(await routedUpstream()).not.toContain(agent.routedKey.verkey)
  })
})
