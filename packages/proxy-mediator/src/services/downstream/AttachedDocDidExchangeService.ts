import {
  type AgentContext,
  Attachment,
  AttachmentData,
  ConnectionService,
  DidDocument,
  DidDocumentRole,
  DidExchangeProtocol,
  DidExchangeRequestMessage,
  DidExchangeResponseMessage,
  DidExchangeRole,
  DidExchangeState,
  DidKey,
  DidRepository,
  HandshakeProtocol,
  type InboundMessageContext,
  JsonEncoder,
  JsonTransformer,
  JwaSignatureAlgorithm,
  JwsService,
  Key,
  KeyType,
  type OutOfBandRecord,
  OutOfBandRole,
  OutOfBandService,
  OutOfBandState,
  OutboundMessageContext,
  PeerDidNumAlgo,
  RoutingService,
  TransportService,
  TypedArrayEncoder,
  getJwkFromKey,
  getKeyFromVerificationMethod,
  getNumAlgoFromPeerDid,
  injectable,
  isDid,
} from '@credo-ts/core'
import { DidExchangeRefusedError } from '../../errors/DidExchangeRefusedError'
import { attachmentSigners } from '../../utils/attachmentSigners'
import {
  type LegacyDidDocJson,
  legacyDidDocForRouting,
  legacyDidDocToPeerDidDocument,
  readAttachedLegacyDidDoc,
  unqualifiedDidFromVerkey,
} from '../../utils/legacyDidDoc'
import { replyInProtocolVersionOf } from '../../utils/messageVersion'
import { storeDidDocument } from '../../utils/storeDidDocument'

/**
 * DID exchange requests whose DID document comes attached, which Credo 0.5 cannot take from ACA-Py:
 * - an unqualified DID with a signed legacy `did_doc~attach`, what ACA-Py sends for didexchange/1.0
 *   and for 1.1 when it falls back to a legacy DID: Credo takes an attached doc only for did:peer:1
 *   and answers such a request with nothing (credo-ts#1865);
 * - did:peer:1 with its genesis doc attached: Credo verifies the attachment with a JWS check that
 *   refuses a protected header holding both `kid` and `jwk`, as ACA-Py up to 0.11 signs.
 * Every other request is left to Credo.
 *
 * An attached doc is accepted only when it is self-certifying: signed by a key of the doc, and for
 * an unqualified DID, that DID is derived from the signing key. A DID that can be resolved
 * elsewhere (did:web, did:sov, did:indy, ...) never gets its doc from an attachment, because whoever
 * sends the request could otherwise claim someone else's DID with a doc pointing at themselves.
 */
@injectable()
export class AttachedDocDidExchangeService {
  public constructor(
    private readonly connectionService: ConnectionService,
    private readonly didRepository: DidRepository,
    private readonly jwsService: JwsService,
    private readonly outOfBandService: OutOfBandService,
    private readonly routingService: RoutingService,
    private readonly didExchangeProtocol: DidExchangeProtocol,
  ) {}

  /** Whether this service takes the request: an attached doc for a non-peer DID or for did:peer:1. */
  public takesRequest(message: DidExchangeRequestMessage): boolean {
    if (!message.didDoc) return false
    return !isDid(message.did, 'peer') || getNumAlgoFromPeerDid(message.did) === PeerDidNumAlgo.GenesisDoc
  }

  public async processRequest(
    messageContext: InboundMessageContext<DidExchangeRequestMessage>,
  ): Promise<OutboundMessageContext<DidExchangeResponseMessage>> {
    const { agentContext, message, senderKey, sessionId } = messageContext
    const outOfBandRecord = await this.findInvitation(agentContext, message)
    const isPeerDid1 = isDid(message.did, 'peer')
    const theirDidDocument = isPeerDid1
      ? await this.verifyGenesisDoc(agentContext, message)
      : (await this.verifyLegacyDoc(agentContext, message)).didDocument

    if (senderKey && (await this.didRepository.findReceivedDidByRecipientKey(agentContext, senderKey))) {
      throw refused('A connection already exists for the key that sent this request.')
    }
    const theirDid = await storeDidDocument(agentContext, theirDidDocument, DidDocumentRole.Received)
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
    agentContext.config.logger.info(
      `DID exchange request with an attached ${isPeerDid1 ? 'did:peer:1' : 'legacy'} DID doc from '${message.label ?? theirDid}'`,
    )

    // The agent reaches the proxy on its own endpoint, never through the external mediator.
    const routing = await this.routingService.getRouting(agentContext, { useDefaultMediator: false })
    if (isPeerDid1) {
      // A did:peer:1 answered with did:peer:1, as Credo does; the middleware finishes it for ACA-Py.
      const response = await this.didExchangeProtocol.createResponse(agentContext, connection, outOfBandRecord, routing)
      return new OutboundMessageContext(response, { agentContext, connection, outOfBand: outOfBandRecord })
    }
    const ours = legacyDidDocForRouting(routing)
    connection.did = await storeDidDocument(
      agentContext,
      legacyDidDocToPeerDidDocument(ours.json).didDocument,
      DidDocumentRole.Created,
    )
    const response = new DidExchangeResponseMessage({ did: ours.did, threadId: message.threadId })
    response.didDoc = new Attachment({
      mimeType: 'application/json',
      data: new AttachmentData({ base64: JsonEncoder.toBase64(ours.json) }),
    })
    await this.connectionService.updateState(agentContext, connection, DidExchangeState.ResponseSent)
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

  /** An unqualified DID's legacy doc: signed by the key the DID is derived from, and naming that DID. */
  private async verifyLegacyDoc(agentContext: AgentContext, message: DidExchangeRequestMessage) {
    if (isDid(message.did)) {
      throw refused(
        `An attached DID doc is accepted only for an unqualified DID or did:peer:1; '${message.did}' must be resolvable on its own.`,
      )
    }
    const signerKeys = await this.signersOf(agentContext, message)
    let legacy: ReturnType<typeof readAttachedLegacyDidDoc>
    try {
      legacy = readAttachedLegacyDidDoc(message.didDoc, message.did)
    } catch (error) {
      throw refused((error as Error).message)
    }
    const docKeys = new Set(legacy.didDocument.recipientKeys.map((key) => key.publicKeyBase58))
    const signer = signerKeys.find((key) => docKeys.has(key) && unqualifiedDidFromVerkey(key) === message.did)
    if (!signer) {
      throw refused(
        `did_doc~attach must be signed by the key that '${message.did}' is derived from, and that key must be in the doc.`,
      )
    }
    return legacy
  }

  /** A did:peer:1 genesis doc, signed by one of its authentication keys (Credo's own rule). */
  private async verifyGenesisDoc(agentContext: AgentContext, message: DidExchangeRequestMessage): Promise<DidDocument> {
    const signerKeys = await this.signersOf(agentContext, message)
    let didDocument: DidDocument
    try {
      didDocument = JsonTransformer.fromJSON(JsonEncoder.fromBase64(message.didDoc?.data.base64 ?? ''), DidDocument)
    } catch (error) {
      throw refused(`The attached DID doc is not a DID document: ${(error as Error).message}`)
    }
    didDocument.id = message.did
    const authenticationKeys = new Set(
      (didDocument.authentication ?? []).map(
        (entry) =>
          getKeyFromVerificationMethod(
            typeof entry === 'string' ? didDocument.dereferenceVerificationMethod(entry) : entry,
          ).publicKeyBase58,
      ),
    )
    if (!signerKeys.every((key) => authenticationKeys.has(key))) {
      throw refused('did_doc~attach must be signed by authentication keys of the attached doc.')
    }
    return didDocument
  }

  private async signersOf(agentContext: AgentContext, message: DidExchangeRequestMessage): Promise<string[]> {
    const attachment = message.didDoc as Attachment
    if (!attachment.data.base64 || !attachment.data.jws) {
      throw refused('The did_doc~attach must hold a base64 DID doc signed with a JWS.')
    }
    try {
      return await attachmentSigners(agentContext, attachment)
    } catch (error) {
      throw refused(`The signature of did_doc~attach does not verify: ${(error as Error).message}.`)
    }
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
    const existing = attachment.data.jws
    const signatures = existing && 'signatures' in existing ? existing.signatures : existing ? [existing] : []
    const invitationKid = new DidKey(invitationKey).did
    if (signatures.some((signature) => signature.header?.kid === invitationKid)) return
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
