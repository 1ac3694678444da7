import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogLevel } from '@credo-ts/core'
import {
  type AcapyGeneration,
  AcapyLikeMediator,
  type AcapyLikeMediatorOptions,
  type InvitationHandshake,
} from '@proxy-mediator/acapy-like-peer'
import { freePort, waitFor } from '@proxy-mediator/topology'
import { MediatorUnreachableError } from '../../errors/MediatorUnreachableError'
import { AcapyMediatorTopology } from '../support/acapyMediatorTopology'
import { startProxy } from '../support/startProxy'

const MESSAGES = 20

/**
 * ACA-Py as the external mediator: the proxy against a mediator that shares no code with Credo or
 * this project (`AcapyLikeMediator`, written from ACA-Py's source), with an ACA-Py-like agent behind
 * it and an ACA-Py-like sender. Core ACA-Py has no pickup protocol: it writes to the proxy's
 * websocket while the proxy's last message asked for `return_route: all`, one message at a time,
 * and forgets each message once written.
 */
describe('ACA-Py as the external mediator', () => {
  const topologies: AcapyMediatorTopology[] = []
  afterEach(async () => {
    for (const topology of topologies.splice(0)) await topology.stop()
  })

  async function start(...args: Parameters<typeof AcapyMediatorTopology.start>) {
    const topology = await AcapyMediatorTopology.start(...args)
    topologies.push(topology)
    return topology
  }

  type Case = [string, AcapyGeneration, InvitationHandshake, 'base58' | 'did:key']
  const cases: Case[] = []
  for (const generation of ['0.7-0.11', '0.12+'] as const) {
    const handshakes: InvitationHandshake[] =
      generation === '0.7-0.11'
        ? ['connections/1.0', 'didexchange/1.0']
        : ['connections/1.0', 'didexchange/1.0', 'didexchange/1.1']
    for (const handshake of handshakes) {
      for (const keyForm of ['base58', 'did:key'] as const) {
        cases.push([
          `ACA-Py ${generation}, ${handshake} invitation, ${keyForm} routing keys`,
          generation,
          handshake,
          keyForm,
        ])
      }
    }
  }

  it.each(cases)('%s: ready, implicit pickup, 20 of 20 relayed', async (name, generation, handshake, keyForm) => {
    const topology = await start({ mediator: { generation, routingKeyForm: keyForm }, handshakes: [handshake] })
    const { connectStatus, mediator } = topology
    expect(connectStatus.status).toBe('ready')
    expect(connectStatus.upstream).toMatchObject({ pickupMode: 'implicit', socketState: 'open' })
    // The proxy asked in the version the invitation offers, and ACA-Py answered in it (0.7 to 0.11: always 1.0).
    const [connection] = [...mediator.store.connections.values()]
    const answered = handshake === 'connections/1.0' || generation === '0.12+' ? handshake : 'didexchange/1.0'
    expect(connection.protocol).toBe(answered)
    if (answered === 'didexchange/1.1') expect(connection.ourDid).toMatch(/^did:peer:4/)
    // The agent's grant names the proxy's key, then the mediator's, whatever form the mediator wrote it in.
    expect(topology.route.routingKeys).toEqual([expect.any(String), mediator.store.routingKey.verkey])

    // Five at a time, so that some find the proxy's session busy and wait in ACA-Py's queue.
    const contents = await topology.send(name, MESSAGES, { concurrency: 5 })
    await topology.waitForAll(contents)
    expect(topology.duplicatesOf(contents)).toBe(0)
    expect(mediator.queuedMessages).toBe(0)
  })

  it('the mediator restarted mid-stream, its queue kept: none lost, and pickup resumes by itself', async () => {
    const topology = await start({ mediator: { persistentQueue: true } })
    const { mediator } = topology
    const before = topology.send('restart-before', 40, { concurrency: 8 })
    await waitFor(() => mediator.forwards.size, 15, 30_000, 'forwards at the mediator')
    await mediator.stop()
    const queuedAtRestart = mediator.queuedMessages
    await mediator.start()
    const after = await topology.send('restart-after', MESSAGES)
    const contents = [...(await before), ...after]
    await topology.waitForAll(contents)
    await waitFor(() => Number(topology.proxy.api.getStatus().status === 'ready'), 1, 30_000, 'ready again')
    console.log(
      `[acapy mediator] restart with its queue kept: ${JSON.stringify({ sent: contents.length, queuedAtRestart, duplicates: topology.duplicatesOf(contents), reconnects: topology.proxy.api.getStatus().upstream.reconnects })}`,
    )
  })

  it("the mediator restarted without a persistent queue (ACA-Py's own): exactly what it held is lost, nothing else", async () => {
    const topology = await start()
    const { mediator, proxy } = topology
    await proxy.stop()
    const held = await topology.send('memory-queue-held', 10)
    expect(mediator.queuedMessages).toBe(10)
    await mediator.stop()
    await mediator.start()
    await topology.startProxy()
    const after = await topology.send('memory-queue-after', MESSAGES)
    await topology.waitForAll(after)
    expect(topology.agent.basicMessages().filter((content) => held.includes(content))).toEqual([])
  })

  it('1,000 forwards queued while the proxy was down are all relayed once it is back', async () => {
    const topology = await start()
    const { mediator, proxy } = topology
    await proxy.stop()
    const contents = await topology.send('while-down', 1_000, { concurrency: 20 })
    expect(mediator.queuedMessages).toBe(1_000)
    await topology.startProxy()
    await topology.waitForAll(contents, 120_000)
    expect(mediator.queuedMessages).toBe(0)
    console.log(
      `[acapy mediator] 1,000 queued while the proxy was down: ${JSON.stringify({ duplicates: topology.duplicatesOf(contents), counters: topology.proxy.api.getStatus().counters })}`,
    )
  })

  it('uses pickup 2.0 when the mediator advertises the pickup plugin, and empties its queue by acknowledging', async () => {
    const topology = await start({ mediator: { pickupPlugin: true } })
    const { mediator, proxy } = topology
    expect(topology.connectStatus.upstream.pickupMode).toBe('live')
    const live = await topology.send('plugin-live', MESSAGES, { concurrency: 5 })
    await topology.waitForAll(live)

    await proxy.stop()
    const queued = await topology.send('plugin-queued', MESSAGES)
    expect(mediator.queuedMessages).toBe(MESSAGES)
    await topology.startProxy()
    await topology.waitForAll(queued)
    // Delivered in pickup 2.0 batches, and removed only by messages-received.
    expect(mediator.pickupDeliveries).toBeGreaterThanOrEqual(MESSAGES)
    await waitFor(() => Number(mediator.queuedMessages === 0), 1, 30_000, 'an empty queue')
  })

  it('polls with pickup 2.0 over HTTP when the mediator lists no websocket but has the pickup plugin', async () => {
    const topology = await start({
      mediator: { pickupPlugin: true, advertiseWebsocket: false },
      proxy: { pollingIntervalMs: 200 },
    })
    expect(topology.connectStatus.upstream.pickupMode).toBe('poll-v2')
    const contents = await topology.send('plugin-polled', MESSAGES, { concurrency: 5 })
    await topology.waitForAll(contents)
    await waitFor(() => Number(topology.mediator.queuedMessages === 0), 1, 30_000, 'an empty queue')
  })

  describe('set-ups, each with a proxy of its own', () => {
    const proxies: Array<{ stop(): Promise<void> }> = []
    const mediators: AcapyLikeMediator[] = []
    let dir: string
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'acapy-refusal-'))
    })
    afterEach(async () => {
      for (const proxy of proxies.splice(0)) await proxy.stop()
      for (const mediator of mediators.splice(0)) await mediator.stop()
      rmSync(dir, { recursive: true, force: true })
    })

    // A timeout far beyond the test's own: an answer that came at all came from the refusal.
    const proxyFor = async (name: string) => {
      const proxy = await startProxy({
        port: await freePort(),
        storagePath: join(dir, name),
        logLevel: LogLevel.off,
        mediatorTimeoutMs: 600_000,
      })
      proxies.push(proxy)
      return proxy
    }
    const mediatorWith = async (options: AcapyLikeMediatorOptions) => {
      const mediator = await AcapyLikeMediator.start(options)
      mediators.push(mediator)
      return mediator
    }

    it('the same invitation connects again after a forced removal, and after a set-up a crash cut short', async () => {
      const mediator = await mediatorWith({})
      const invitationUrl = mediator.createInvitationUrl(['didexchange/1.1'])
      const proxy = await proxyFor('again')
      const first = await proxy.api.connectToMediator(invitationUrl)
      await proxy.api.removeMediator(first.change.mediatorId, { force: true })
      const again = await proxy.api.connectToMediator(invitationUrl)
      expect(again.change.result).toBe('added')
      expect(again.status).toBe('ready')

      // What a kill -9 in the middle of an add leaves: the invitation received, nothing more.
      const other = await mediatorWith({})
      const otherUrl = other.createInvitationUrl(['didexchange/1.1'])
      await proxy.agent.oob.receiveInvitationFromUrl(otherUrl, { autoAcceptInvitation: false })
      const added = await proxy.api.connectToMediator(otherUrl, { primary: false })
      expect(added.change).toMatchObject({ result: 'added', role: 'standby' })
      expect(added.mediators.map((mediator) => mediator.state)).toEqual(['ready', 'ready'])
    })

    it('a mediation an operator denies (no --open-mediation): the mediate-deny', async () => {
      const mediator = await mediatorWith({ openMediation: false })
      const proxy = await proxyFor('denied')
      const refused = proxy.api.connectToMediator(mediator.createInvitationUrl(['didexchange/1.1']))
      await expect(refused).rejects.toThrow(MediatorUnreachableError)
      await expect(refused).rejects.toThrow(
        'The external mediator did not grant mediation: The external mediator denied mediation (mediate-deny).',
      )
      expect(proxy.api.getStatus().status).toBe('init')
    })

    it('a mediator that lists no websocket and knows no pickup protocol: what to change', async () => {
      const mediator = await mediatorWith({ advertiseWebsocket: false })
      const proxy = await proxyFor('no-pickup')
      await expect(proxy.api.connectToMediator(mediator.createInvitationUrl(['didexchange/1.1']))).rejects.toThrow(
        /offers no way to pick messages up: .*\(ACA-Py: --inbound-transport ws/,
      )
    })

    it('a single-use invitation used already: the problem report of the handshake', async () => {
      const mediator = await mediatorWith({})
      const invitationUrl = mediator.createInvitationUrl(['didexchange/1.0'], { multiUse: false })
      expect((await (await proxyFor('first')).api.connectToMediator(invitationUrl)).status).toBe('ready')
      const second = (await proxyFor('second')).api.connectToMediator(invitationUrl)
      await expect(second).rejects.toThrow(
        'Could not connect to the external mediator: The external mediator answered with a problem report: Pairwise requests must be against explicit invitations that have not been previously consumed (request_not_accepted)',
      )
    })
  })
})
