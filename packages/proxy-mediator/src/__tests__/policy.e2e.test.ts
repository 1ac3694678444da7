import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AgentEventTypes,
  DidKey,
  type AgentMessageSentEvent,
  type EncryptedMessage,
  KeyType,
  utils,
} from '@credo-ts/core'
import { connectTo, freePort, startEdgeAgent, useProxyAsMediator, waitFor } from '@proxy-mediator/topology'
import { type TestProxy, startProxy } from './support/startProxy'
import { type Topology, sendMessages, startTopology } from './support/topology'

function problemReportsSentBy(proxy: TestProxy): string[] {
  const descriptions: string[] = []
  proxy.agent.events.on<AgentMessageSentEvent>(AgentEventTypes.AgentMessageSent, (event) => {
    const message = event.payload.message.message.toJSON() as { '@type': string; description?: { en?: string } }
    if (message['@type'].endsWith('/problem-report')) descriptions.push(message.description?.en ?? '')
  })
  return descriptions
}

describe('mediation policy', () => {
  it('refuses mediation with a problem report while upstream is not ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-policy-'))
    const proxy = await startProxy({ port: await freePort(), storagePath: join(dir, 'proxy') })
    const agent = await startEdgeAgent({ port: await freePort(), label: 'early-agent' })
    try {
      expect(proxy.api.getStatus().status).toBe('init')
      const problemReports = problemReportsSentBy(proxy)
      const { invitationUrl } = await proxy.api.getAgentInvitation()
      await expect(useProxyAsMediator(agent.agent, invitationUrl, 3_000)).rejects.toThrow()
      await waitFor(() => problemReports.length, 1, 10_000, 'a problem report')
      expect(problemReports[0]).toMatch(/not yet picking up from an external mediator/)
    } finally {
      await agent.stop()
      await proxy.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('one proxy, several agents, and bad forwards', () => {
  let topology: Topology

  beforeAll(async () => {
    topology = await startTopology()
  })

  afterAll(async () => {
    await topology?.stop()
  })

  it('gives each of two agents only its own messages', async () => {
    const second = await startEdgeAgent({ port: await freePort(), label: 'second-agent' })
    const secondSender = await startEdgeAgent({ port: await freePort(), label: 'second-sender' })
    try {
      const { invitationUrl } = await topology.proxy.api.getAgentInvitation()
      await useProxyAsMediator(second.agent, invitationUrl)
      const invitation = await second.agent.oob.createInvitation()
      const connection = await connectTo(
        secondSender.agent,
        invitation.outOfBandInvitation.toUrl({ domain: 'https://example.org' }),
      )
      const before = topology.agent.received.length
      const toFirst = await sendMessages(topology, 'first', 10)
      const toSecond = Array.from({ length: 10 }, (_, index) => `second-${index}`)
      for (const content of toSecond) await secondSender.agent.basicMessages.sendMessage(connection.id, content)

      await waitFor(() => topology.agent.received.length - before, 10, 60_000)
      await waitFor(() => second.received.length, 10, 60_000)
      expect(new Set(topology.agent.received.slice(before))).toEqual(new Set(toFirst))
      expect(new Set(second.received)).toEqual(new Set(toSecond))
      expect(topology.proxy.api.getStatus().agents).toHaveLength(2)
    } finally {
      await secondSender.stop()
      await second.stop()
    }
  })

  it('refuses mediation to a connection that did not come through the agent invitation', async () => {
    const stranger = await startEdgeAgent({ port: await freePort(), label: 'stranger' })
    try {
      const problemReports = problemReportsSentBy(topology.proxy)
      // Any other invitation of the proxy's agent, e.g. one its operator made for something else.
      const other = await topology.proxy.agent.oob.createInvitation()
      const url = other.outOfBandInvitation.toUrl({ domain: topology.proxy.endpoints[0] })
      await expect(useProxyAsMediator(stranger.agent, url, 3_000)).rejects.toThrow()
      await waitFor(() => problemReports.length, 1, 10_000, 'a problem report')
      expect(problemReports[0]).toMatch(/only agents that connected through its own agent invitation/)
    } finally {
      await stranger.stop()
    }
  })

  it('dead-letters a forward to an unknown key and keeps serving', async () => {
    const { upstream } = topology.proxy.api.getStatus()
    const wallet = topology.sender.agent.context.wallet
    const verkey = (didKey: string) => DidKey.fromDid(didKey).key.publicKeyBase58
    const proxyKey = verkey(upstream.proxyRoutingKey ?? '')
    const mediatorKey = verkey(upstream.routingKeys[0])
    const unknownKey = (await wallet.createKey({ keyType: KeyType.Ed25519 })).publicKeyBase58
    const forward = (to: string, msg: EncryptedMessage) => ({
      '@type': 'https://didcomm.org/routing/1.0/forward',
      '@id': utils.uuid(),
      to,
      msg,
    })
    const inner = await wallet.pack({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': utils.uuid() }, [
      unknownKey,
    ])
    const forProxy = await wallet.pack(forward(unknownKey, inner), [proxyKey])
    const forMediator = await wallet.pack(forward(proxyKey, forProxy), [mediatorKey])
    // The check a transport makes before decrypting: the proxy's routing key is its own, a random key is not.
    expect(await topology.proxy.api.isAddressedToProxy(forProxy)).toBe(true)
    expect(await topology.proxy.api.isAddressedToProxy(inner)).toBe(false)

    const deadLetteredBefore = topology.proxy.api.getStatus().counters.deadLettered
    const response = await fetch(topology.mediator.endpoints[0], {
      method: 'POST',
      headers: { 'content-type': 'application/didcomm-envelope-enc' },
      body: JSON.stringify(forMediator),
    })
    expect(response.ok).toBe(true)
    await waitFor(
      () => topology.proxy.api.getStatus().counters.deadLettered - deadLetteredBefore,
      1,
      30_000,
      'a dead letter',
    )
    // Kept for the operator, newest first, with the reason and the inner envelope still encrypted.
    const [kept] = await topology.proxy.api.getDeadLetters(1)
    expect(kept.reason).toBe(`no agent registered key ${unknownKey}`)
    expect(kept.recipientKey).toBe(unknownKey)
    expect(kept.envelope).toEqual(inner)

    const before = topology.agent.received.length
    const sent = await sendMessages(topology, 'after-dead-letter', 3)
    await waitFor(() => topology.agent.received.length - before, 3, 30_000)
    expect(new Set(topology.agent.received.slice(before))).toEqual(new Set(sent))
  })

  it('refuses a forward posted for the agent invitation key to a key no agent registered, and keeps nothing', async () => {
    const wallet = topology.sender.agent.context.wallet
    const { invitationUrl } = await topology.proxy.api.getAgentInvitation()
    const invitation = await topology.sender.agent.oob.parseInvitation(invitationUrl)
    const invitationKey = DidKey.fromDid(invitation.getInlineServices()[0].recipientKeys[0]).key.publicKeyBase58
    const unknownKey = (await wallet.createKey({ keyType: KeyType.Ed25519 })).publicKeyBase58
    const inner = await wallet.pack({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': utils.uuid() }, [
      unknownKey,
    ])
    const forward = {
      '@type': 'https://didcomm.org/routing/1.0/forward',
      '@id': utils.uuid(),
      to: unknownKey,
      msg: inner,
    }
    // Anoncrypt, as a stranger who holds the public invitation would pack it.
    const posted = await wallet.pack(forward, [invitationKey])
    const deadLettersBefore = await topology.proxy.api.getDeadLetterPage({ limit: 1000 })

    expect(await topology.proxy.api.isAddressedToProxy(posted)).toBe(true)
    expect(await topology.proxy.api.acceptForward(posted)).toEqual({
      kind: 'refused',
      code: 'unknown_recipient',
      reason: `no agent registered key ${unknownKey}`,
    })
    expect(await topology.proxy.api.getDeadLetterPage({ limit: 1000 })).toEqual(deadLettersBefore)
    // A message for the invitation key that is no forward is left to Credo.
    const ping = await wallet.pack({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': utils.uuid() }, [
      invitationKey,
    ])
    expect(await topology.proxy.api.acceptForward(ping)).toEqual({ kind: 'not-a-forward' })
  })
})
