import { randomUUID } from 'node:crypto'
import {
  ConnectionRecord,
  ConnectionRepository,
  DidExchangeProtocol,
  DidExchangeResponseMessage,
  DidExchangeRole,
  DidExchangeState,
  DidsApi,
  InboundMessageContext,
  JsonTransformer,
  Key,
  KeyType,
  OutOfBandDidCommService,
  OutOfBandInvitation,
  OutOfBandRecord,
  OutOfBandRepository,
  OutOfBandRole,
  OutOfBandState,
} from '@credo-ts/core'
import {
  type KeyPair,
  didKeyOf,
  didPeer4,
  legacyDidDoc,
  newKeyPair,
  ready,
  signedAttachment,
  unqualifiedDidOf,
} from '@proxy-mediator/acapy-like-peer'
import { freePort } from '@proxy-mediator/topology'
import { type TestProxy, startProxy } from '../../__tests__/support/startProxy'
import { DidExchangeRefusedError } from '../../errors/DidExchangeRefusedError'
import { ProxyDidExchangeProtocol } from '../ProxyDidExchangeProtocol'

/**
 * The proxy as the requester of a DID exchange with ACA-Py, against a real proxy agent: the
 * responses are built as ACA-Py writes them (attachments signed by `@proxy-mediator/acapy-like-peer`,
 * up to 0.11 with both `kid` and `jwk` in the protected header), and handed to the DID exchange that
 * `proxyMediatorModules()` registers.
 */
describe('ProxyDidExchangeProtocol', () => {
  let proxy: TestProxy
  let invitationKey: KeyPair
  const endpoints = ['http://127.0.0.1:9/acapy', 'ws://127.0.0.1:9/acapy']

  beforeAll(async () => {
    await ready()
    proxy = await startProxy({ port: await freePort() })
  })
  afterAll(() => proxy.stop())

  const context = () => proxy.agent.context
  const protocol = () => context().dependencyManager.resolve(DidExchangeProtocol)

  /** A request the proxy sent to an invitation of `invitationKey`, waiting for its response. */
  async function pendingRequest() {
    invitationKey = newKeyPair()
    const outOfBandRecord = new OutOfBandRecord({
      role: OutOfBandRole.Receiver,
      state: OutOfBandState.PrepareResponse,
      // As Credo tags an invitation it receives.
      tags: { recipientKeyFingerprints: [Key.fromPublicKeyBase58(invitationKey.verkey, KeyType.Ed25519).fingerprint] },
      outOfBandInvitation: new OutOfBandInvitation({
        label: 'ACA-Py',
        handshakeProtocols: ['https://didcomm.org/didexchange/1.0' as never],
        services: [
          new OutOfBandDidCommService({
            id: '#inline',
            serviceEndpoint: endpoints[0],
            recipientKeys: [didKeyOf(invitationKey.verkey)],
          }),
        ],
      }),
    })
    await context().dependencyManager.resolve(OutOfBandRepository).save(context(), outOfBandRecord)
    const connection = new ConnectionRecord({
      role: DidExchangeRole.Requester,
      state: DidExchangeState.RequestSent,
      threadId: randomUUID(),
      outOfBandId: outOfBandRecord.id,
    })
    await context().dependencyManager.resolve(ConnectionRepository).save(context(), connection)
    return { connection, outOfBandRecord }
  }

  function responseTo(connection: ConnectionRecord, body: Record<string, unknown>) {
    const message = JsonTransformer.fromJSON(
      {
        '@type': 'https://didcomm.org/didexchange/1.1/response',
        '@id': randomUUID(),
        '~thread': { thid: connection.threadId },
        ...body,
      },
      DidExchangeResponseMessage,
    )
    return new InboundMessageContext(message, { agentContext: context(), connection })
  }

  /** ACA-Py 0.7 to 0.11's answer: an unqualified DID and its legacy doc, signed as `signer` signs it. */
  function legacyAnswer(signer?: KeyPair) {
    const ours = newKeyPair()
    const did = unqualifiedDidOf(ours.verkey)
    const attachment = signedAttachment(legacyDidDoc(did, ours.verkey, endpoints), signer ?? invitationKey)
    return { did, 'did_doc~attach': attachment }
  }

  it("registers in place of Credo's DID exchange", () => {
    expect(protocol()).toBeInstanceOf(ProxyDidExchangeProtocol)
  })

  it("takes ACA-Py 0.11's legacy doc signed by the invitation key with kid and jwk, and routes by it", async () => {
    const { connection, outOfBandRecord } = await pendingRequest()
    const taken = await protocol().processResponse(responseTo(connection, legacyAnswer()), outOfBandRecord)
    expect(taken.state).toBe(DidExchangeState.ResponseReceived)
    expect(taken.theirDid).toMatch(/^did:peer:1/)
    const resolved = await context().dependencyManager.resolve(DidsApi).resolveDidDocument(String(taken.theirDid))
    expect(resolved.didCommServices.map((service) => service.serviceEndpoint)).toEqual(endpoints)
  })

  it('refuses a legacy doc that the invitation key did not sign (RFC 0023), saying so', async () => {
    const { connection, outOfBandRecord } = await pendingRequest()
    const answer = protocol().processResponse(responseTo(connection, legacyAnswer(newKeyPair())), outOfBandRecord)
    await expect(answer).rejects.toThrow(DidExchangeRefusedError)
    await expect(answer).rejects.toThrow(
      /DID exchange response refused: did_doc~attach is not signed by the invitation's key/,
    )
  })

  it('takes a did_rotate~attach signed with kid and jwk in the protected header (Credo 0.5 refuses it: credo-ts#2140)', async () => {
    const { connection, outOfBandRecord } = await pendingRequest()
    const { long } = didPeer4(newKeyPair().verkey, endpoints)
    const rotation = signedAttachment(long, invitationKey, { protectedKid: true })
    const taken = await protocol().processResponse(
      responseTo(connection, { did: long, 'did_rotate~attach': rotation }),
      outOfBandRecord,
    )
    expect(taken.theirDid).toBe(long)
    expect(taken.state).toBe(DidExchangeState.ResponseReceived)
  })

  it('refuses a did_rotate~attach that signs another DID than the response names', async () => {
    const { connection, outOfBandRecord } = await pendingRequest()
    const { long } = didPeer4(newKeyPair().verkey, endpoints)
    const other = didPeer4(newKeyPair().verkey, endpoints).long
    const rotation = signedAttachment(other, invitationKey)
    await expect(
      protocol().processResponse(responseTo(connection, { did: long, 'did_rotate~attach': rotation }), outOfBandRecord),
    ).rejects.toThrow(/did_rotate~attach signs '.*', not the response's DID/)
  })
})
