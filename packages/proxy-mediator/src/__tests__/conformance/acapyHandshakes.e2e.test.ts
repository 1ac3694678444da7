import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogLevel } from '@credo-ts/core'
import {
  AcapyLikeAgent,
  type AgentOptions,
  ForwardingSender,
  type Handshake,
  newKeyPair,
} from '@proxy-mediator/acapy-like-peer'
import { type ExternalMediator, freePort, startExternalMediator, waitFor } from '@proxy-mediator/topology'
import { type TestProxy, startProxy } from '../support/startProxy'

const MESSAGES = 20

/**
 * Every way ACA-Py 0.7 to 1.x connects to its mediator, against the real proxy and a real Credo
 * external mediator, with an agent and a sender that share no code with Credo
 * (`@proxy-mediator/acapy-like-peer`). Each case connects, is granted mediation, registers a key,
 * and receives every one of 20 messages that the sender wraps in forwards for the grant's
 * routing keys and posts to the external mediator.
 */
describe('ACA-Py conformance: handshakes, key formats, prefixes', () => {
  let dir: string
  let mediator: ExternalMediator
  let proxy: TestProxy
  let invitationUrl: string
  let sender: ForwardingSender
  const agents: AcapyLikeAgent[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acapy-conformance-'))
    mediator = await startExternalMediator({ port: await freePort(), storagePath: join(dir, 'mediator') })
    // PROXY_LOG=2 (Credo's LogLevel.debug) shows the proxy's side of a failing handshake.
    proxy = await startProxy({
      port: await freePort(),
      storagePath: join(dir, 'proxy'),
      logLevel: Number(process.env.PROXY_LOG ?? LogLevel.off),
    })
    await proxy.api.connectToMediator(await mediator.createInvitationUrl())
    invitationUrl = (await proxy.api.getAgentInvitation()).invitationUrl
    sender = await ForwardingSender.create()
  })

  afterAll(async () => {
    for (const agent of agents) await agent.stop()
    await proxy?.stop()
    await mediator?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  async function agentWith(options: AgentOptions) {
    const agent = await AcapyLikeAgent.start(options)
    agents.push(agent)
    return agent
  }

  /** Connect, get mediation, register the key, and receive 20 forwarded messages. */
  async function relayThrough(handshake: Handshake, options: AgentOptions = {}, url = invitationUrl) {
    const agent = await agentWith(options)
    await agent.connect(url, handshake)
    const grant = await agent.requestMediation()
    expect(grant.endpoint).toBe(mediator.endpoints[0])
    expect(grant.routingKeys).toHaveLength(2)

    const { written, updated } = await agent.registerKey()
    expect(updated).toEqual({ recipient_key: written, action: 'add', result: 'success' })
    expect(await agent.queryKeylist()).toEqual([written])

    const tag = `${handshake.protocol}-${'did' in handshake ? handshake.did : 'legacy'}-${options.legacyPrefix ? 'sov' : 'new'}`
    const contents = Array.from({ length: MESSAGES }, (_, index) => `${tag}-${index}`)
    await sender.send({ recipientKey: agent.routedKey.verkey, ...grant }, contents)
    await waitFor(() => new Set(agent.basicMessages()).size, MESSAGES, 60_000, `messages for ${tag}`)
    expect([...new Set(agent.basicMessages())].sort()).toEqual([...contents].sort())
    return agent
  }

  it.each<[string, Handshake, AgentOptions]>([
    ['connections 1.0, https://didcomm.org/ prefix, did:key keys', { protocol: 'connections/1.0' }, {}],
    [
      'connections 1.0, did:sov prefix, raw base58 keys',
      { protocol: 'connections/1.0' },
      { legacyPrefix: true, keyFormat: 'base58' },
    ],
    ['DID Exchange 1.0, unqualified DID + signed legacy doc', { protocol: 'didexchange/1.0', did: 'unqualified' }, {}],
    [
      'DID Exchange 1.0, unqualified DID + signed legacy doc, did:sov prefix, raw keys',
      { protocol: 'didexchange/1.0', did: 'unqualified' },
      { legacyPrefix: true, keyFormat: 'base58' },
    ],
    ['DID Exchange 1.1, unqualified DID + signed legacy doc', { protocol: 'didexchange/1.1', did: 'unqualified' }, {}],
    ['DID Exchange 1.0, did:peer:2', { protocol: 'didexchange/1.0', did: 'peer:2' }, {}],
    ['DID Exchange 1.1, did:peer:2', { protocol: 'didexchange/1.1', did: 'peer:2' }, {}],
    ['DID Exchange 1.0, did:peer:4 long form', { protocol: 'didexchange/1.0', did: 'peer:4-long' }, {}],
    ['DID Exchange 1.1, did:peer:4 long form', { protocol: 'didexchange/1.1', did: 'peer:4-long' }, {}],
    ['DID Exchange 1.1, did:peer:4 short form with its doc', { protocol: 'didexchange/1.1', did: 'peer:4-short' }, {}],
    ['DID Exchange 1.1, did:peer:1 with its genesis doc', { protocol: 'didexchange/1.1', did: 'peer:1' }, {}],
  ])('%s: connects, is granted mediation, and receives 20/20', async (_name, handshake, options) => {
    await relayThrough(handshake, options)
  })

  it('relays forwards whose anoncrypt headers carry "sender": null and "iv": null (aries-staticagent)', async () => {
    const agent = await relayThrough({ protocol: 'didexchange/1.1', did: 'peer:4-long' })
    const contents = Array.from({ length: MESSAGES }, (_, index) => `null-headers-${index}`)
    await sender.send(
      { recipientKey: agent.routedKey.verkey, ...(agent.grant as { endpoint: string; routingKeys: string[] }) },
      contents,
      {
        anoncryptNulls: true,
      },
    )
    await waitFor(
      () => agent.basicMessages().filter((content) => content.startsWith('null-headers-')).length,
      MESSAGES,
      60_000,
    )
  })

  it('refuses a legacy doc signed by a key that is not in it, with a didexchange problem_report', async () => {
    const agent = await agentWith({})
    await expect(
      agent.connect(invitationUrl, { protocol: 'didexchange/1.0', did: 'unqualified' }, { signer: newKeyPair() }),
    ).rejects.toThrow(/Timed out waiting for response/)
    const [report] = agent.problemReports
    expect(report['@type']).toBe('https://didcomm.org/didexchange/1.0/problem_report')
    expect(report['~thread']).toMatchObject({ thid: agent.lastRequestId })
    expect((report.description as { code: string }).code).toBe('request_not_accepted')
  }, 60_000)

  it('refuses an attached doc for a DID that resolves elsewhere (did:sov on a ledger, did:web)', async () => {
    const agent = await agentWith({})
    await expect(
      agent.connect(invitationUrl, { protocol: 'didexchange/1.1', did: 'unqualified' }, { did: 'did:web:example.org' }),
    ).rejects.toThrow(/Timed out waiting for response/)
    expect(String((agent.problemReports[0]?.description as { en: string }).en)).toMatch(/resolvable on its own/)
  }, 60_000)

  it('answers a keylist-update before mediation with a problem report', async () => {
    const agent = await agentWith({})
    await agent.connect(invitationUrl, { protocol: 'didexchange/1.1', did: 'peer:2' })
    await expect(agent.registerKey()).rejects.toThrow(/Timed out/)
    expect(String((agent.problemReports[0]?.description as { en: string }).en)).toMatch(/send a mediate-request first/)
  }, 60_000)
})

describe('ACA-Py conformance: invitation formats', () => {
  let dir: string
  let mediator: ExternalMediator
  const stops: Array<() => Promise<void>> = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'acapy-formats-'))
    mediator = await startExternalMediator({ port: await freePort(), storagePath: join(dir, 'mediator') })
  })

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
    await mediator?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each<[string, 'oob/1.0' | 'connections/1.0', Handshake, RegExp]>([
    ['OOB 1.0', 'oob/1.0', { protocol: 'didexchange/1.0', did: 'unqualified' }, /\?oob=/],
    ['a legacy c_i invitation', 'connections/1.0', { protocol: 'connections/1.0' }, /\?c_i=/],
  ])('%s works end to end', async (_name, agentInvitationFormat, handshake, urlShape) => {
    const proxy = await startProxy({
      port: await freePort(),
      storagePath: join(dir, agentInvitationFormat.replace('/', '-')),
      agentInvitationFormat,
    })
    stops.push(() => proxy.stop())
    await proxy.api.connectToMediator(await mediator.createInvitationUrl())
    const { invitationUrl } = await proxy.api.getAgentInvitation()
    expect(invitationUrl).toMatch(urlShape)
    if (agentInvitationFormat === 'oob/1.0') {
      const invitation = JSON.parse(
        Buffer.from(new URL(invitationUrl).searchParams.get('oob') ?? '', 'base64url').toString(),
      )
      expect(invitation['@type']).toBe('https://didcomm.org/out-of-band/1.0/invitation')
      expect(invitation.handshake_protocols).toEqual([
        'https://didcomm.org/didexchange/1.1',
        'https://didcomm.org/didexchange/1.0',
        'https://didcomm.org/connections/1.0',
      ])
    }

    const agent = await AcapyLikeAgent.start({})
    stops.push(() => agent.stop())
    await agent.connect(invitationUrl, handshake)
    const grant = await agent.requestMediation()
    await agent.registerKey()
    const sender = await ForwardingSender.create()
    const contents = Array.from({ length: MESSAGES }, (_, index) => `${agentInvitationFormat}-${index}`)
    await sender.send({ recipientKey: agent.routedKey.verkey, ...grant }, contents)
    await waitFor(() => new Set(agent.basicMessages()).size, MESSAGES, 60_000)
    expect([...new Set(agent.basicMessages())].sort()).toEqual([...contents].sort())
  })
})
