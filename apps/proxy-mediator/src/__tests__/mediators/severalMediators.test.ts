import type { RoleProcess } from '@proxy-mediator/topology'
import { type ProxyStatus, report, useProcessTopology } from '../faults/support/processTopology'

// Two external mediators (stock Credo 0.5.19, each its own process), the real runner, an HTTP-only
// Credo agent and a sender, each its own process. The cases run in order on one topology:
// the switch while 500 messages flow, messages through each mediator, a restart, a mediator killed.
//
// A sender keeps the route of the DID doc it got from the agent when it connected. So "through
// mediator A" is a connection made while A was named in the agent's grant, "through B" one made
// after the agent got a grant naming B. The proxy announces the new route with a fresh grant
// (change.agentsAnnouncedTo), which ACA-Py applies, but a Credo 0.5 agent takes a grant only while
// its own request is pending: so here the agent asks for mediation again (requestMediationAgain)
// to get the new route for its NEW connections; its old connections keep routing through A.

const READY_MS = 60_000
const DELIVERY_MS = 180_000

describe('several external mediators, in processes', () => {
  const topology = useProcessTopology({ adminApiKey: 'several-mediators-admin-key' })
  let mediatorB: RoleProcess
  let idA: string
  let idB: string

  const mediatorsOf = (status: ProxyStatus) => Object.fromEntries(status.mediators.map((m) => [m.id, m]))

  beforeAll(async () => {
    mediatorB = await topology().startMediatorRole('mediator-b')
    const status = await topology().status()
    idA = status.mediators[0].id
    // The connection that routes through A: made while A is the only mediator.
    await topology().connectSender('via-a')
  }, 120_000)

  it('switches to a second mediator while 500 messages flow through the first: 0 lost', async () => {
    const t = topology()
    const expected = await t.stream('switch', 500, 0, 'via-a')
    // Wait until the stream is under way, so the switch happens in the middle of it.
    await t.proxy.waitForJson<ProxyStatus & { counters: { relayed: number } }>(
      '/status',
      (body) => body.counters.relayed >= 50,
      DELIVERY_MS,
      '50 relays',
    )
    const added = await t.proxy.postJson<{
      change: { result: string; mediatorId: string; previousPrimaryId?: string; agentsAnnouncedTo?: number }
    }>('/mediators', { invitation_url: await mediatorB.request<string>('invitation'), primary: true })
    expect(added.status).toBe(201)
    expect(added.body.change).toMatchObject({ result: 'added', previousPrimaryId: idA })
    idB = added.body.change.mediatorId
    const receivedAtSwitch = (await t.received()).length

    const delivery = await t.waitForDelivery(expected, DELIVERY_MS)
    expect(delivery.missing).toEqual([])
    expect(delivery.unique).toBe(500)
    const status = await t.status()
    expect(mediatorsOf(status)[idA]).toMatchObject({ role: 'draining', namedInGrants: false, state: 'ready' })
    expect(mediatorsOf(status)[idB]).toMatchObject({ role: 'primary', namedInGrants: true, state: 'ready' })
    report('switch to a second mediator while 500 flow', {
      sent: delivery.sent,
      received: delivery.received,
      unique: delivery.unique,
      lost: delivery.missing.length,
      duplicates: delivery.duplicates,
      deliveredBeforeSwitch: receivedAtSwitch,
      agentsAnnouncedTo: added.body.change.agentsAnnouncedTo,
      senderFailures: (await t.progress()).failed.length,
    })
  }, 300_000)

  it('delivers messages sent through each mediator', async () => {
    const t = topology()
    // Credo refuses the announced grant; asking again gives it the grant that names B.
    const grant = await t.agent.request<{ endpoint: string; routingKeys: string[] }>('requestMediationAgain')
    const status = await t.status()
    expect(grant.endpoint).toBe(mediatorsOf(status)[idB].endpoint)
    expect(grant.endpoint).not.toBe(mediatorsOf(status)[idA].endpoint)
    await t.connectSender('via-b')

    const throughA = await t.stream('through-a', 20, 0, 'via-a')
    await t.waitForDelivery(throughA, DELIVERY_MS)
    const throughB = await t.stream('through-b', 20, 0, 'via-b')
    const delivery = await t.waitForDelivery([...throughA, ...throughB], DELIVERY_MS)
    expect(delivery.missing).toEqual([])
    report('through each of two mediators', {
      sent: delivery.sent,
      unique: delivery.unique,
      lost: delivery.missing.length,
      duplicates: delivery.duplicates,
    })
  }, 240_000)

  it('resumes pickup from both mediators after a restart, with no call', async () => {
    const t = topology()
    await t.proxy.stop()
    await t.startProxy()
    await t.waitForProxyStatus(
      'ready',
      READY_MS,
      (body) => body.mediators.length === 2 && body.mediators.every((m) => m.state === 'ready'),
    )
    const status = await t.status()
    expect(mediatorsOf(status)[idA].role).toBe('draining')
    expect(mediatorsOf(status)[idB].role).toBe('primary')

    const throughA = await t.stream('restart-a', 10, 0, 'via-a')
    await t.waitForDelivery(throughA, DELIVERY_MS)
    const throughB = await t.stream('restart-b', 10, 0, 'via-b')
    const delivery = await t.waitForDelivery([...throughA, ...throughB], DELIVERY_MS)
    expect(delivery.missing).toEqual([])
    report('restart with two mediators', {
      sent: delivery.sent,
      unique: delivery.unique,
      duplicates: delivery.duplicates,
    })
  }, 240_000)

  it('keeps relaying through one mediator while the other is killed (SIGKILL)', async () => {
    const t = topology()
    t.mediator.signal('SIGKILL')
    await t.mediator.exited()
    await t.waitForProxyStatus('ready', READY_MS, (body) => {
      const a = body.mediators.find((m) => m.id === idA)
      return a?.state === 'setup'
    })
    const throughB = await t.stream('b-while-a-dead', 20, 0, 'via-b')
    const delivery = await t.waitForDelivery(throughB, DELIVERY_MS)
    expect(delivery.missing).toEqual([])
    const status = await t.status()
    expect(status.status).toBe('ready')
    expect(mediatorsOf(status)[idA]).toMatchObject({ state: 'setup', role: 'draining' })
    expect(mediatorsOf(status)[idB]).toMatchObject({ state: 'ready', role: 'primary', socketState: 'open' })
    // The primary cannot be removed while another mediator exists, dead or alive: promote another first.
    const refused = await fetch(`${t.proxy.adminUrl}/mediators/${idB}`, {
      method: 'DELETE',
      headers: { 'x-api-key': 'several-mediators-admin-key' },
    })
    expect(refused.status).toBe(409)
    expect(((await refused.json()) as { error: string }).error).toBe('mediator_change_refused')
    // The dead one cannot be asked what it still holds: refused, unless forced, which says what it abandons.
    const admin = { 'x-api-key': 'several-mediators-admin-key' }
    const unasked = await fetch(`${t.proxy.adminUrl}/mediators/${idA}`, { method: 'DELETE', headers: admin })
    expect(unasked.status).toBe(409)
    const forced = await fetch(`${t.proxy.adminUrl}/mediators/${idA}?force=true`, { method: 'DELETE', headers: admin })
    expect(forced.status).toBe(200)
    expect(((await forced.json()) as { change: unknown }).change).toMatchObject({
      result: 'removed',
      mediatorId: idA,
      abandoned: { relaysInFlight: 0 },
    })
    expect(Object.keys(mediatorsOf(await t.status()))).toEqual([idB])
    report('one of two mediators killed', {
      sent: delivery.sent,
      unique: delivery.unique,
      duplicates: delivery.duplicates,
    })
  }, 240_000)
})
