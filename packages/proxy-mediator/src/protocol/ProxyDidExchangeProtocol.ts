import {
  type AgentContext,
  type AgentMessage,
  type ConnectionRecord,
  ConnectionService,
  DidDocumentRole,
  DidExchangeProtocol,
  type DidExchangeResponseMessage,
  DidExchangeState,
  DidRepository,
  DidsApi,
  type InboundMessageContext,
  InjectionSymbols,
  JwsService,
  Key,
  type Logger,
  type OutOfBandRecord,
  TypedArrayEncoder,
  getAlternativeDidsForPeerDid,
  inject,
  injectable,
  isDid,
  isValidPeerDid,
  parseMessageType,
} from '@credo-ts/core'
import { DidExchangeRefusedError } from '../errors/DidExchangeRefusedError'
import { attachmentSigners } from '../utils/attachmentSigners'
import { readAttachedLegacyDidDoc } from '../utils/legacyDidDoc'
import { storeDidDocument } from '../utils/storeDidDocument'

/**
 * Credo's DID exchange, as the proxy needs it when it is the requester (toward an external
 * mediator such as ACA-Py's), registered in place of Credo's by `ProxyConnectionsModule`:
 * - the request and the complete are written in the DID exchange version the invitation offers
 *   (RFC 0434: the invitee uses a handshake protocol the invitation lists). Credo always writes 1.1,
 *   and ACA-Py answers in the version of the request;
 * - a response with an unqualified DID and a legacy `did_doc~attach`, what ACA-Py 0.7 to 0.11
 *   answer to any request and later releases to a 1.0 request, is taken when the doc is signed by
 *   the invitation key (RFC 0023). Credo 0.5 takes an attached doc only for did:peer:1;
 * - a `did_rotate~attach` is verified here as ACA-Py signs it (`attachmentSigners`), which accepts
 *   a protected header with both `kid` and `jwk`, as ACA-Py up to 0.11 writes it; Credo 0.5's JWS
 *   check refuses that (credo-ts#2140).
 * Everything else is Credo's own.
 */
@injectable()
export class ProxyDidExchangeProtocol extends DidExchangeProtocol {
  public constructor(
    private readonly connections: ConnectionService,
    didRepository: DidRepository,
    jwsService: JwsService,
    @inject(InjectionSymbols.Logger) logger: Logger,
  ) {
    super(connections, didRepository, jwsService, logger)
  }

  public override async createRequest(...args: Parameters<DidExchangeProtocol['createRequest']>) {
    const result = await super.createRequest(...args)
    writeInOfferedVersion(result.message, args[1])
    return result
  }

  public override async createComplete(...args: Parameters<DidExchangeProtocol['createComplete']>) {
    const complete = await super.createComplete(...args)
    writeInOfferedVersion(complete, args[2])
    return complete
  }

  public override async processResponse(
    messageContext: InboundMessageContext<DidExchangeResponseMessage>,
    outOfBandRecord: OutOfBandRecord,
  ): Promise<ConnectionRecord> {
    const { message, agentContext, connection } = messageContext
    const legacy = message.didDoc && !isDid(message.did)
    if (!connection || (!legacy && !message.didRotate)) return super.processResponse(messageContext, outOfBandRecord)
    connection.assertState(DidExchangeState.RequestSent)
    if (message.threadId !== connection.threadId) throw notAccepted('Invalid or missing thread ID.')
    const invitationKeys = outOfBandRecord
      .getTags()
      .recipientKeyFingerprints.map((fingerprint) => Key.fromFingerprint(fingerprint).publicKeyBase58)
    connection.theirDid = legacy
      ? await this.takeLegacyDoc(agentContext, message, invitationKeys)
      : await this.takeRotatedDid(agentContext, message, invitationKeys)
    await this.connections.updateState(agentContext, connection, DidExchangeState.ResponseReceived)
    return connection
  }

  /** An unqualified DID and its legacy doc, stored as the did:peer:1 document Credo resolves it by. */
  private async takeLegacyDoc(
    agentContext: AgentContext,
    message: DidExchangeResponseMessage,
    invitationKeys: string[],
  ): Promise<string> {
    await requireInvitationSignature(agentContext, message.didDoc, invitationKeys, 'did_doc~attach')
    let didDocument: ReturnType<typeof readAttachedLegacyDidDoc>['didDocument']
    try {
      ;({ didDocument } = readAttachedLegacyDidDoc(message.didDoc, message.did))
    } catch (error) {
      throw notAccepted((error as Error).message)
    }
    return storeDidDocument(agentContext, didDocument, DidDocumentRole.Received)
  }

  /** A DID that resolves alone (did:peer:2, long-form did:peer:4), its rotation signed by the invitation key. */
  private async takeRotatedDid(
    agentContext: AgentContext,
    message: DidExchangeResponseMessage,
    invitationKeys: string[],
  ): Promise<string> {
    await requireInvitationSignature(agentContext, message.didRotate, invitationKeys, 'did_rotate~attach')
    const signedDid = TypedArrayEncoder.fromBase64(message.didRotate?.data.base64 ?? '').toString()
    if (signedDid !== message.did) {
      throw notAccepted(`did_rotate~attach signs '${signedDid}', not the response's DID '${message.did}'.`)
    }
    let didDocument: Awaited<ReturnType<DidsApi['resolveDidDocument']>>
    try {
      didDocument = await agentContext.dependencyManager.resolve(DidsApi).resolveDidDocument(message.did)
    } catch (error) {
      throw notAccepted(`The response's DID '${message.did}' does not resolve: ${(error as Error).message}`)
    }
    if (isValidPeerDid(didDocument.id)) {
      // As Credo keeps it: the keys to find the connection by, and the short form of a did:peer:4.
      await agentContext.dependencyManager.resolve(DidRepository).storeReceivedDid(agentContext, {
        did: didDocument.id,
        tags: {
          recipientKeyFingerprints: didDocument.recipientKeys.map((key) => key.fingerprint),
          alternativeDids: getAlternativeDidsForPeerDid(didDocument.id),
        },
      })
    }
    return message.did
  }
}

async function requireInvitationSignature(
  agentContext: AgentContext,
  attachment: DidExchangeResponseMessage['didDoc'],
  invitationKeys: string[],
  name: string,
): Promise<void> {
  let signers: string[]
  try {
    signers = attachment ? await attachmentSigners(agentContext, attachment) : []
  } catch (error) {
    throw notAccepted(`The signature of ${name} does not verify: ${(error as Error).message}.`)
  }
  if (!signers.some((signer) => invitationKeys.includes(signer))) {
    throw notAccepted(
      `${name} is not signed by the invitation's key (RFC 0023); signed by: ${signers.join(', ') || 'nobody'}.`,
    )
  }
}

function notAccepted(reason: string): DidExchangeRefusedError {
  return new DidExchangeRefusedError(reason, 'response')
}

/**
 * The DID exchange version the invitation offers: 1.1 when it lists 1.1, else 1.0 when it lists
 * only 1.0. A message of an invitation that lists no DID exchange is left as it is.
 */
function writeInOfferedVersion(message: AgentMessage, outOfBandRecord: OutOfBandRecord | undefined): void {
  const offered = (outOfBandRecord?.outOfBandInvitation.handshakeProtocols ?? [])
    .map((protocol) => parseMessageType(`${protocol}/request`))
    .filter((type) => type.protocolName === 'didexchange' && type.protocolMajorVersion === 1)
    .map((type) => type.protocolMinorVersion)
  if (offered.length === 0 || offered.includes(1)) return
  const ours = parseMessageType(message.type)
  ;(message as { type: string }).type = `${ours.documentUri}/${ours.protocolName}/1.0/${ours.messageName}`
}
