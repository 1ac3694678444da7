import {
  type AgentContext,
  Attachment,
  AttachmentData,
  ConnectionService,
  DidDocumentRole,
  DidExchangeRequestMessage,
  DidExchangeResponseMessage,
  DidExchangeRole,
  DidExchangeState,
  DidKey,
  DidRecord,
  DidRepository,
  HandshakeProtocol,
  type InboundMessageContext,
  JsonEncoder,
  JwaSignatureAlgorithm,
  JwsService,
  Key,
  KeyType,
  type OutOfBandRecord,
  OutOfBandRole,
  OutOfBandService,
  OutOfBandState,
  OutboundMessageContext,
  RoutingService,
  TransportService,
  TypedArrayEncoder,
  getJwkFromKey,
  injectable,
  isDid,
} from '@credo-ts/core'
import { DidExchangeRefusedError } from '../errors/DidExchangeRefusedError'
import {
  type LegacyDidDocJson,
  legacyDidDocForRouting,
  legacyDidDocToPeerDidDocument,
  legacyDocIdFor,
  unqualifiedDidFromVerkey,
} from '../utils/legacyDidDoc'
import { replyInProtocolVersionOf } from '../utils/messageVersion'

/**
 * DID Exchange with an unqualified DID and a signed legacy `did_doc~attach`: what ACA-Py sends for
 * didexchange/1.0, and for 1.1 when it is not set up to emit did:peer. Credo 0.5 takes an attached
 * doc only for did:peer:1 and answers such a request with nothing (credo-ts#1865), so the proxy
 * handles this one shape itself and leaves every other request to Credo.
 *
 * The request is accepted only when the DID is self-certifying: the attachment is signed by a key of
 * the attached doc, and the unqualified DID is derived from that key. A DID that can be resolved
 * elsewhere (did:web, did:sov, did:indy, ...) never gets its doc from an attachment, because whoever
 * sends the request could otherwise claim someone else's DID with a doc pointing at themselves.
 */
@injectable()
export class LegacyDidExchangeService {
  public constructor(
    private readonly connectionService: ConnectionService,
    private readonly didRepository: DidRepository,
    private readonly jwsService: JwsService,
    private readonly outOfBandService: OutOfBandService,
    private readonly routingService: RoutingService,
  ) {}

  /** Whether Credo cannot take this request and this service must: a non-peer DID with an attached doc. */
  public isLegacyRequest(message: DidExchangeRequestMessage): boolean {
    return Boolean(message.didDoc) && !isDid(message.did, 'peer')
  }

  public async processRequest(
    messageContext: InboundMessageContext<DidExchangeRequestMessage>,
  ): Promise<OutboundMessageContext<DidExchangeResponseMessage>> {
    const { agentContext, message, senderKey, sessionId } = messageContext
    const outOfBandRecord = await this.findInvitation(agentContext, message)
    const theirDidDoc = await this.verifyAttachedDidDoc(agentContext, message)

    if (senderKey && (await this.didRepository.findReceivedDidByRecipientKey(agentContext, senderKey))) {
      throw refused('A connection already exists for the key that sent this request.')
    }
    const theirDid = await this.storeTheirDid(agentContext, theirDidDoc)
    const connection = await this.connectionService.createConnection(agentContext, {
      protocol: HandshakeProtocol.DidExchange,
      role: DidExchangeRole.Responder,
      state: DidExchangeState.RequestReceived,
      alias: outOfBandRecord.alias,
      theirDid,
      theirLabel: message.label,
      threadId: message.threadId,
      mediatorId: outOfBandRecord.mediatorId,
      autoAcceptConnection: outOfBandRecord.autoAcceptConnection,
      outOfBandId: outOfBandRecord.id,
    })
    await this.connectionService.updateState(agentContext, connection, DidExchangeState.RequestReceived)
    if (sessionId) {
      agentContext.dependencyManager.resolve(TransportService).setConnectionIdForSession(sessionId, connection.id)
    }

    // The agent reaches the proxy on its own endpoint, never through the external mediator.
    const routing = await this.routingService.getRouting(agentContext, { useDefaultMediator: false })
    const ours = legacyDidDocForRouting(routing)
    connection.did = await this.storeOurDid(agentContext, ours.json)

    const response = new DidExchangeResponseMessage({ did: ours.did, threadId: message.threadId })
    // ACA-Py copies the response's thread into its `complete`, whose schema requires `pthid`.
    response.setThread({ threadId: message.threadId, parentThreadId: outOfBandRecord.outOfBandInvitation.id })
    response.didDoc = new Attachment({
      mimeType: 'application/json',
      data: new AttachmentData({ base64: JsonEncoder.toBase64(ours.json) }),
    })
    await this.signWithInvitationKey(agentContext, outOfBandRecord, response.didDoc)
    replyInProtocolVersionOf(response, message)
    await this.connectionService.updateState(agentContext, connection, DidExchangeState.ResponseSent)
    agentContext.config.logger.info(
      `DID exchange ${message.type.split('/').slice(-2, -1)[0]} with legacy DID doc from '${message.label ?? theirDid}'`,
    )
    return new OutboundMessageContext(response, { agentContext, connection, outOfBand: outOfBandRecord })
  }

  /**
   * Credo sends a problem report only over an existing connection, and a refused request has none,
   * so the requester would hear nothing. The attached doc names where the requester listens; the
   * report goes there, authcrypted with the invitation key it already knows. Nothing else is sent
   * to an address taken from an unverified doc.
   */
  public async refusalFor(
    messageContext: InboundMessageContext<DidExchangeRequestMessage>,
    error: DidExchangeRefusedError,
  ): Promise<OutboundMessageContext | undefined> {
    const { agentContext, message, recipientKey } = messageContext
    const service = requesterService(message)
    if (!service || !recipientKey) return undefined
    const report = error.problemReport
    report.setThread({ threadId: message.threadId, parentThreadId: message.thread?.parentThreadId })
    replyInProtocolVersionOf(report, message)
    return new OutboundMessageContext(report, {
      agentContext,
      serviceParams: { service, senderKey: recipientKey },
    })
  }

  private async findInvitation(agentContext: AgentContext, message: DidExchangeRequestMessage) {
    const parentThreadId = message.thread?.parentThreadId
    if (!parentThreadId) throw refused('The request has no ~thread.pthid naming the invitation.')
    const record = await this.outOfBandService.findByCreatedInvitationId(agentContext, parentThreadId)
    if (!record || record.role !== OutOfBandRole.Sender) {
      throw refused(`No invitation of this proxy has the id '${parentThreadId}'.`)
    }
    if (record.state === OutOfBandState.Done && !record.reusable) {
      throw refused('The invitation was single-use and has been used already.')
    }
    return record
  }

  private async verifyAttachedDidDoc(agentContext: AgentContext, message: DidExchangeRequestMessage) {
    if (isDid(message.did)) {
      throw refused(
        `An attached DID doc is accepted only for an unqualified DID; '${message.did}' must be resolvable on its own.`,
      )
    }
    const attachment = message.didDoc as Attachment
    const base64 = attachment.data.base64
    const jws = attachment.data.jws
    if (!base64 || !jws) throw refused('The did_doc~attach must hold a base64 DID doc signed with a JWS.')

    const payload = TypedArrayEncoder.toBase64URL(TypedArrayEncoder.fromBase64(base64))
    const { isValid, signerKeys } = await this.jwsService
      .verifyJws(agentContext, {
        jws: { ...(jws as object), payload } as never,
        jwkResolver: ({ jws: { header } }) => getJwkFromKey(keyFromKid(header.kid)),
      })
      .catch(() => ({ isValid: false, signerKeys: [] as Key[] }))
    if (!isValid || signerKeys.length === 0) throw refused('The signature of did_doc~attach does not verify.')

    let legacy: ReturnType<typeof legacyDidDocToPeerDidDocument>
    let json: LegacyDidDocJson
    try {
      json = JsonEncoder.fromBase64(base64) as LegacyDidDocJson
      legacy = legacyDidDocToPeerDidDocument(json)
    } catch (error) {
      throw refused(`The attached DID doc is not a legacy DID doc: ${(error as Error).message}`)
    }
    if (json.id !== message.did && json.id !== legacyDocIdFor(message.did)) {
      throw refused(`The attached DID doc is for '${json.id}', not for the request's DID '${message.did}'.`)
    }
    const docKeys = new Set(legacy.didDocument.recipientKeys.map((key) => key.publicKeyBase58))
    const signer = signerKeys.find(
      (key) => docKeys.has(key.publicKeyBase58) && unqualifiedDidFromVerkey(key.publicKeyBase58) === message.did,
    )
    if (!signer) {
      throw refused(
        `did_doc~attach must be signed by the key that '${message.did}' is derived from, and that key must be in the doc.`,
      )
    }
    return legacy
  }

  private async storeTheirDid(
    agentContext: AgentContext,
    { didDocument }: ReturnType<typeof legacyDidDocToPeerDidDocument>,
  ): Promise<string> {
    const record = new DidRecord({
      did: didDocument.id,
      role: DidDocumentRole.Received,
      didDocument,
      tags: { recipientKeyFingerprints: didDocument.recipientKeys.map((key) => key.fingerprint) },
    })
    const existing = await this.didRepository.findReceivedDid(agentContext, didDocument.id)
    if (!existing) await this.didRepository.save(agentContext, record)
    return didDocument.id
  }

  private async storeOurDid(agentContext: AgentContext, json: LegacyDidDocJson): Promise<string> {
    const { didDocument } = legacyDidDocToPeerDidDocument(json)
    await this.didRepository.save(
      agentContext,
      new DidRecord({
        did: didDocument.id,
        role: DidDocumentRole.Created,
        didDocument,
        tags: { recipientKeyFingerprints: didDocument.recipientKeys.map((key) => key.fingerprint) },
      }),
    )
    return didDocument.id
  }

  /**
   * RFC 0023: the responder signs the doc in its response with the invitation key, which the
   * requester already trusts, and ACA-Py checks exactly that. Credo signs a did:peer:1 doc with the
   * new DID's own key only, so the invitation key's signature is added beside it.
   */
  public async signWithInvitationKey(
    agentContext: AgentContext,
    outOfBandRecord: OutOfBandRecord,
    attachment: Attachment,
  ): Promise<void> {
    const invitationKey = outOfBandRecord.outOfBandInvitation
      .getInlineServices()
      .flatMap((service) => service.recipientKeys)
      .map((didKey) => DidKey.fromDid(didKey).key)[0]
    const base64 = attachment.data.base64
    if (!invitationKey || !base64) return
    const jws = await this.jwsService.createJws(agentContext, {
      payload: TypedArrayEncoder.fromBase64(base64),
      key: invitationKey,
      header: { kid: new DidKey(invitationKey).did },
      protectedHeaderOptions: { alg: JwaSignatureAlgorithm.EdDSA, jwk: getJwkFromKey(invitationKey) },
    })
    attachment.addJws(jws)
  }
}

function requesterService(message: DidExchangeRequestMessage) {
  try {
    const json = JsonEncoder.fromBase64(message.didDoc?.data.base64 ?? '') as Partial<LegacyDidDocJson>
    const [service] = json.service ?? []
    if (!service || typeof service.serviceEndpoint !== 'string' || !service.serviceEndpoint.startsWith('http')) return
    return {
      id: service.id ?? '#refusal',
      serviceEndpoint: service.serviceEndpoint,
      recipientKeys: (service.recipientKeys ?? []).map(keyFromKid),
      routingKeys: (service.routingKeys ?? []).map(keyFromKid),
    }
  } catch {
    return undefined
  }
}

function keyFromKid(kid: unknown): Key {
  if (typeof kid !== 'string') throw new Error('The JWS header has no kid')
  return kid.startsWith('did:key:') ? DidKey.fromDid(kid).key : Key.fromPublicKeyBase58(kid, KeyType.Ed25519)
}

function refused(reason: string): DidExchangeRefusedError {
  return new DidExchangeRefusedError(reason)
}
