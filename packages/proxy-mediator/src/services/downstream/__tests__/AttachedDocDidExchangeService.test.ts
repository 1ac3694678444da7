import {
  Attachment,
  AttachmentData,
  ConnectionRepository,
  DidExchangeRequestMessage,
  DidExchangeResponseMessage,
  DidExchangeState,
  DidKey,
  InboundMessageContext,
  JsonEncoder,
  JwaSignatureAlgorithm,
  JwsService,
  type Key,
  KeyType,
  OutOfBandInvitation,
  TypedArrayEncoder,
  getJwkFromKey,
} from '@credo-ts/core'
import { freePort } from '@proxy-mediator/topology'
import { type TestProxy, startProxy } from '../../../__tests__/support/startProxy'
import { DidExchangeRefusedError } from '../../../errors/DidExchangeRefusedError'
import { didExchangeRequestMiddleware } from '../../../middlewares/didExchangeRequestMiddleware'
import { legacyDocIdFor, unqualifiedDidFromVerkey } from '../../../utils/legacyDidDoc'
import { AttachedDocDidExchangeService } from '../AttachedDocDidExchangeService'

/**
 * The policy of the legacy bridge, against a real proxy agent and its wallet. The requests are
 * built here in ACA-Py's shape; the conformance suite (`__tests__/acapy`) sends them over HTTP
 * from an agent with no Credo code.
 */
describe('AttachedDocDidExchangeService', () => {
  let proxy: TestProxy
  let invitation: OutOfBandInvitation

  beforeAll(async () => {
    proxy = await startProxy({ port: await freePort() })
    invitation = OutOfBandInvitation.fromUrl((await proxy.api.getAgentInvitation()).invitationUrl)
  })
  afterAll(() => proxy.stop())

  const context = () => proxy.agent.context
  const service = () => context().dependencyManager.resolve(AttachedDocDidExchangeService)
  const jws = () => context().dependencyManager.resolve(JwsService)
  const invitationKey = () => DidKey.fromDid(invitation.getInlineServices()[0].recipientKeys[0]).key

  /** A legacy doc exactly as ACA-Py's `DIDDoc.serialize()` writes it. */
  const legacyDoc = (did: string, verkey: string) => ({
    '@context': 'https://w3id.org/did/v1',
    id: legacyDocIdFor(did),
    publicKey: [
      {
        id: `did:sov:${did}#1`,
        type: 'Ed25519VerificationKey2018',
        controller: `did:sov:${did}`,
        publicKeyBase58: verkey,
      },
    ],
    authentication: [{ type: 'Ed25519SignatureAuthentication2018', publicKey: `did:sov:${did}#1` }],
    service: [
      {
        id: `did:sov:${did};indy`,
        type: 'IndyAgent',
        priority: 0,
        recipientKeys: [verkey],
        serviceEndpoint: 'http://127.0.0.1:9/acapy',
      },
    ],
  })

  async function signedAttachment(doc: object, signer: Key) {
    const attachment = new Attachment({
      mimeType: 'application/json',
      data: new AttachmentData({ base64: JsonEncoder.toBase64(doc) }),
    })
    attachment.addJws(
      await jws().createJws(context(), {
        payload: JsonEncoder.toBuffer(doc),
        key: signer,
        header: { kid: new DidKey(signer).did },
        protectedHeaderOptions: { alg: JwaSignatureAlgorithm.EdDSA, jwk: getJwkFromKey(signer) },
      }),
    )
    return attachment
  }

  async function request(options: { version?: '1.0' | '1.1'; did?: string; signer?: Key; docKey?: Key } = {}) {
    const key = options.docKey ?? (await context().wallet.createKey({ keyType: KeyType.Ed25519 }))
    const did = options.did ?? unqualifiedDidFromVerkey(key.publicKeyBase58)
    const message = new DidExchangeRequestMessage({ label: 'acapy', did, parentThreadId: invitation.id })
    if (options.version === '1.0') (message as { type: string }).type = 'https://didcomm.org/didexchange/1.0/request'
    message.didDoc = await signedAttachment(legacyDoc(did, key.publicKeyBase58), options.signer ?? key)
    const messageContext = new InboundMessageContext(message, {
      agentContext: context(),
      senderKey: key,
      recipientKey: invitationKey(),
    })
    return { key, did, message, messageContext }
  }

  /** What the middleware makes of the service's response (version, pthid, invitation signature). */
  async function respond(messageContext: InboundMessageContext<DidExchangeRequestMessage>) {
    await didExchangeRequestMiddleware(messageContext, async () => undefined)
    if (!messageContext.responseMessage) throw new Error('no response')
    return messageContext.responseMessage
  }

  it('takes an unqualified DID with a self-signed legacy doc and answers in the same version, signed with the invitation key', async () => {
    const { messageContext, message } = await request({ version: '1.0' })
    expect(service().takesRequest(message)).toBe(true)

    const outbound = await respond(messageContext)
    const response = outbound.message as DidExchangeResponseMessage
    expect(response).toBeInstanceOf(DidExchangeResponseMessage)
    expect(response.type).toBe('https://didcomm.org/didexchange/1.0/response')
    expect(response.thread?.threadId).toBe(message.threadId)
    expect(response.thread?.parentThreadId).toBe(invitation.id)
    // ACA-Py checks `did:sov:<did>` against the doc's id, then the JWS against the invitation key.
    const doc = JsonEncoder.fromBase64(response.didDoc?.data.base64 ?? '')
    expect(doc.id).toBe(`did:sov:${response.did}`)
    expect(doc.service[0]).toMatchObject({ type: 'IndyAgent', serviceEndpoint: proxy.endpoints[0] })
    const verified = await jws().verifyJws(context(), {
      jws: {
        ...(response.didDoc?.data.jws as object),
        payload: TypedArrayEncoder.toBase64URL(TypedArrayEncoder.fromBase64(response.didDoc?.data.base64 ?? '')),
      } as never,
    })
    expect(verified.isValid).toBe(true)
    expect(verified.signerKeys.map((key) => key.publicKeyBase58)).toEqual([invitationKey().publicKeyBase58])

    const connection = await context()
      .dependencyManager.resolve(ConnectionRepository)
      .getById(context(), outbound.connection?.id ?? '')
    expect(connection.state).toBe(DidExchangeState.ResponseSent)
    expect(connection.theirDid).toMatch(/^did:peer:1/)
    expect(connection.theirLabel).toBe('acapy')
  })

  it('answers a 1.1 request in 1.1', async () => {
    const { messageContext } = await request({ version: '1.1' })
    const outbound = await respond(messageContext)
    expect(outbound.message.type).toBe('https://didcomm.org/didexchange/1.1/response')
  })

  it('refuses a doc signed by a key that is not in it', async () => {
    const stranger = await context().wallet.createKey({ keyType: KeyType.Ed25519 })
    const { messageContext } = await request({ signer: stranger })
    await expect(service().processRequest(messageContext)).rejects.toThrow(DidExchangeRefusedError)
  })

  it('refuses an unqualified DID that is not derived from the signing key', async () => {
    const { messageContext } = await request({ did: 'V4SGRU86Z58d6TV7PBUe6f' })
    await expect(service().processRequest(messageContext)).rejects.toThrow(/derived from/)
  })

  it('refuses an attached doc for a DID that resolves elsewhere, and reports to the attached endpoint', async () => {
    const { messageContext, message } = await request({ did: 'did:web:example.org' })
    expect(service().takesRequest(message)).toBe(true)
    const error = await service()
      .processRequest(messageContext)
      .catch((caught) => caught)
    expect(error).toBeInstanceOf(DidExchangeRefusedError)
    expect(error.message).toMatch(/resolvable on its own/)
    const refusal = await service().refusalFor(messageContext, error)
    expect(refusal?.message.type).toBe('https://didcomm.org/didexchange/1.1/problem_report')
    expect(refusal?.message.thread?.threadId).toBe(message.threadId)
    expect(refusal?.serviceParams?.service.serviceEndpoint).toBe('http://127.0.0.1:9/acapy')
  })

  it('leaves requests with a resolvable did:peer to Credo, and takes a did:peer:1 with its doc', async () => {
    const message = new DidExchangeRequestMessage({ label: 'x', did: 'did:peer:4zQm', parentThreadId: invitation.id })
    expect(service().takesRequest(message)).toBe(false)
    message.didDoc = new Attachment({ data: new AttachmentData({ base64: JsonEncoder.toBase64({}) }) })
    ;(message as { did: string }).did = 'did:peer:1zQmZMygzYqNwU6Uhmewx5Xepf2VLp5S4HLSwwgf2aiKZuwa'
    expect(service().takesRequest(message)).toBe(true)
  })
})
