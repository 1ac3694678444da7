import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AgentEventTypes,
  type AgentMessageSentEvent,
  DidKey,
  type EncryptedMessage,
  KeyType,
  KeylistUpdateAction,
  utils,
} from '@credo-ts/core'
import { connectTo, freePort, startEdgeAgent, useProxyAsMediator, waitFor } from '@proxy-mediator/topology'
import { type TestProxy, startProxy } from './support/startProxy'
import { type Topology, sendMessages, startTopology } from './support/topology'

/** Polls until `predicate` holds; rejects after `timeoutMs` naming what was awaited. */
function until(predicate: () => boolean, timeoutMs: number, what: string) {
  return waitFor(() => (predicate() ? 1 : 0), 1, timeoutMs, what)
}

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
    // Listed for the operator, newest first: the reason, the key, the size, never the content.
    const [kept] = (await topology.proxy.api.getDeadLetterPage({ limit: 1 })).deadLetters
    expect(kept).toMatchObject({
      reason: `no agent registered key ${unknownKey}`,
      recipientKey: unknownKey,
      envelopeBytes: Buffer.byteLength(JSON.stringify(inner)),
      replayable: true,
    })
    expect(kept).not.toHaveProperty('envelope')
    expect(kept.agentConnectionId).toBeUndefined()
    // Relayed again while still no agent holds the key: refused, and still a dead letter.
    const again = await topology.proxy.api.replayDeadLetters([kept.id], { by: 'test' })
    expect(again).toEqual({ replayed: [], refused: [{ id: kept.id, reason: `no agent registered key ${unknownKey}` }] })
    expect((await topology.proxy.api.getDeadLetterPage({ limit: 1 })).deadLetters[0].id).toBe(kept.id)

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
  it("relays an agent's dead letters again once its key is back, and deletes what the operator deletes", async () => {
    const agent = topology.agent.agent
    const senderConnection = await topology.sender.agent.connections.getById(topology.senderConnectionId)
    const agentConnection = (await agent.connections.getAll()).find((c) => c.theirDid === senderConnection.did)
    if (!agentConnection?.did) throw new Error('no connection of the agent to the sender')
    const [key] = (await agent.dids.resolveDidDocument(agentConnection.did)).recipientKeys
    const mediator = await agent.mediationRecipient.findDefaultMediator()
    const mediatorConnection = await agent.connections.getById(mediator?.connectionId ?? '')
    const proxyAgent = topology.proxy.api.getStatus().agents[0]
    const didKey = `did:key:${key.fingerprint}`
    const keyIsRouted = (routed: boolean) =>
      until(
        () => topology.proxy.api.getStatus().agents.some((a) => a.recipientKeys.includes(didKey)) === routed,
        30_000,
        routed ? 'the key added' : 'the key removed',
      )
    // The agent takes its key off the proxy's keylist: what the sender sends it now is dead-lettered.
    await agent.mediationRecipient.notifyKeylistUpdate(
      mediatorConnection,
      key.publicKeyBase58,
      KeylistUpdateAction.remove,
    )
    await keyIsRouted(false)
    const deadLetteredBefore = topology.proxy.api.getStatus().counters.deadLettered
    const received = topology.agent.received.length
    const contents = ['lost-then-replayed-1', 'lost-then-replayed-2', 'lost-then-deleted']
    for (const [index, content] of contents.entries()) {
      await topology.sender.agent.basicMessages.sendMessage(topology.senderConnectionId, content)
      // One at a time, so that the newest dead letter is the last message sent.
      await waitFor(
        () => topology.proxy.api.getStatus().counters.deadLettered - deadLetteredBefore,
        index + 1,
        30_000,
        'a dead letter',
      )
    }
    const [deleted, ...toReplay] = (await topology.proxy.api.getDeadLetterPage({ limit: 3 })).deadLetters
    expect(toReplay).toHaveLength(2)
    expect(await topology.proxy.api.deleteDeadLetters([deleted.id], { by: 'test' })).toBe(1)

    // The key is back: the operator relays the agent's dead letters again; they reach it, once each.
    await agent.mediationRecipient.notifyKeylistUpdate(mediatorConnection, key.publicKeyBase58, KeylistUpdateAction.add)
    await keyIsRouted(true)
    const result = await topology.proxy.api.replayDeadLettersOf(proxyAgent.connectionId, { by: 'test' })
    expect(new Set(result.replayed)).toEqual(new Set(toReplay.map((letter) => letter.id)))
    expect(result.refused).toEqual([])
    await waitFor(() => topology.agent.received.length - received, 2, 30_000, 'the replayed messages')
    expect(topology.agent.received.slice(received).sort()).toEqual(['lost-then-replayed-1', 'lost-then-replayed-2'])
    const left = (await topology.proxy.api.getDeadLetterPage({ limit: 1000 })).deadLetters.map((letter) => letter.id)
    expect(left).not.toContain(deleted.id)
    for (const letter of toReplay) expect(left).not.toContain(letter.id)
  })
})
