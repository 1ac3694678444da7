import { randomUUID } from 'node:crypto'
import { type KeyPair, sign, x25519PublicOf } from '../../crypto'
import {
  type DidCommService,
  didPeer2,
  didPeer4,
  legacyDidDoc,
  resolvePeerDid,
  serviceOfDoc,
  unqualifiedDidOf,
} from '../../dids'
import { b64urlPadded } from '../../encoding'
import { type SignOptions, serviceOfAttachedDoc, signedAttachment } from '../../jws'
import type { Conductor, HandlerContext } from '../Conductor'
import type { MediatorSettings } from '../MediatorSettings'
import type { ConnectionProtocol, MediatorConnection, MediatorInvitation, MediatorStore } from '../MediatorStore'
import type { Message } from '../../messageTypes'
import { typeOf } from '../../messageTypes'
import { pythonJsonDumps } from '../pythonJson'

/**
 * The responder side of the handshakes an ACA-Py mediator answers, from
 * `protocols/connections/v1_0/manager.py` (`create_response`, removed after 1.2) and
 * `protocols/didexchange/v1_0/manager.py` (`receive_request`, `create_response`,
 * `_legacy_did_with_attached_doc`, `_qualified_did_with_fallback`):
 * - connections/1.0: a new unqualified DID, its legacy doc in `connection`, signed by the
 *   invitation key as `connection~sig`;
 * - DID Exchange, ACA-Py 0.7 to 0.11: always a 1.0 response, an unqualified DID and a legacy
 *   `did_doc~attach` signed by the invitation key (a 1.1 request is handled by the 1.0 handler,
 *   `core/protocol_registry.py`, `resolve_message_class`);
 * - DID Exchange, ACA-Py 0.12 and later: the response is in the request's version. 1.0: as above.
 *   1.1: a did:peer:4 (did:peer:2 for a did:peer:2 requester) and a `did_rotate~attach` signed by
 *   the invitation key; for an unqualified requester, a legacy doc (`LegacyHandlingFallback`).
 * Every reply is written back on the request's session, packed from the invitation key the request
 * was encrypted to (`core/conductor.py`: `reply_from_verkey = inbound.receipt.recipient_verkey`).
 */
export function registerHandshakeHandlers(conductor: Conductor, store: MediatorStore, settings: MediatorSettings) {
  const signOptions: SignOptions = {
    // ACA-Py 0.12 moved the kid out of the protected header (attach_decorator.py, build_protected).
    protectedKid: settings.generation === '0.7-0.11',
    serialize: pythonJsonDumps,
    stringMimeType: 'text/string',
  }

  const addConnection = (
    protocol: ConnectionProtocol,
    request: Message,
    theirDid: string,
    theirService: DidCommService,
  ): MediatorConnection => {
    const ourKey = store.newKey()
    const connection: MediatorConnection = {
      id: randomUUID(),
      protocol,
      state: 'request',
      ourKey,
      ourDid: unqualifiedDidOf(ourKey.verkey),
      theirDid,
      theirLabel: typeof request.label === 'string' ? request.label : undefined,
      theirService,
    }
    store.connections.set(connection.id, connection)
    return connection
  }

  conductor.register('connections/1.0/request', (context) => {
    const invitationKey = useInvitation(
      [...store.invitations.values()].find(({ key }) => key.verkey === context.receipt.recipientVerkey),
    )
    const { DID, DIDDoc } = (context.message.connection ?? {}) as { DID?: string; DIDDoc?: Record<string, unknown> }
    if (!invitationKey || !DID || !DIDDoc) {
      context.reply(
        problemReport(
          'connections/1.0/problem_report',
          context.message,
          'request_not_accepted',
          'No explicit invitation found for this request, or no connection in it',
        ),
      )
      return
    }
    const connection = addConnection('connections/1.0', context.message, DID, serviceOfDoc(DIDDoc))
    const value = {
      DID: connection.ourDid,
      DIDDoc: legacyDidDoc(connection.ourDid, connection.ourKey.verkey, settings.endpoints),
    }
    connection.state = 'response'
    context.reply(
      {
        '@type': typeOf('connections/1.0/response'),
        '@id': randomUUID(),
        '~thread': threadFrom(context.message),
        'connection~sig': signField(value, invitationKey),
      },
      connection,
    )
  })

  conductor.register('didexchange/1.0/request', (context) => {
    const { message, type } = context
    const pthid = (message['~thread'] as { pthid?: string } | undefined)?.pthid
    const invitationKey = useInvitation(pthid ? store.invitations.get(pthid) : undefined)
    const version = settings.generation === '0.7-0.11' || type.minor === 0 ? '1.0' : '1.1'
    const refuse = (reason: string) =>
      context.reply(problemReport(`didexchange/${version}/problem_report`, message, 'request_not_accepted', reason))
    if (!invitationKey) {
      refuse('Pairwise requests must be against explicit invitations that have not been previously consumed')
      return
    }
    let theirService: DidCommService
    const theirDid = String(message.did)
    try {
      theirService = theirServiceOf(message, theirDid)
    } catch (error) {
      refuse((error as Error).message)
      return
    }
    const connection = addConnection(`didexchange/${version}`, message, theirDid, theirService)
    const ourVerkey = connection.ourKey.verkey
    const didMethod = version === '1.1' ? ourDidMethodFor(theirDid) : 'legacy'
    let response: Message
    if (didMethod === 'legacy') {
      const doc = legacyDidDoc(connection.ourDid, ourVerkey, settings.endpoints)
      response = {
        '@type': typeOf(`didexchange/${version}/response`),
        '@id': randomUUID(),
        did: connection.ourDid,
        'did_doc~attach': signedAttachment(doc, invitationKey, signOptions),
      }
    } else {
      connection.ourDid =
        didMethod === 'peer:4'
          ? didPeer4(ourVerkey, settings.endpoints).long
          : didPeer2(ourVerkey, x25519PublicOf(ourVerkey), settings.endpoints)
      response = {
        '@type': typeOf(`didexchange/${version}/response`),
        '@id': randomUUID(),
        did: connection.ourDid,
        'did_rotate~attach': signedAttachment(connection.ourDid, invitationKey, signOptions),
      }
    }
    response['~thread'] = threadFrom(message)
    connection.state = 'response'
    context.reply(response, connection)
  })

  conductor.register('didexchange/1.0/complete', (context) => {
    if (context.connection) context.connection.state = 'completed'
  })
}

/** The key of an invitation that may still be used, marking a single-use one used (`ConnRecord.retrieve_by_invitation_msg_id`). */
function useInvitation(invitation: MediatorInvitation | undefined): KeyPair | undefined {
  if (!invitation || (invitation.used && !invitation.multiUse)) return undefined
  invitation.used = true
  return invitation.key
}

/** `_extract_and_record_did_doc_info`: a signed attached doc naming the request's DID, or a DID that resolves alone. */
function theirServiceOf(message: Message, did: string): DidCommService {
  const attached = message['did_doc~attach']
  return attached ? serviceOfAttachedDoc(attached, did) : resolvePeerDid(did)
}

/** `create_response`: which DID a 1.1 response carries, from the requester's DID. */
function ourDidMethodFor(theirDid: string): 'peer:2' | 'peer:4' | 'legacy' {
  if (theirDid.startsWith('did:peer:2')) return 'peer:2'
  if (/^did:peer:[14]/.test(theirDid)) return 'peer:4'
  return 'legacy'
}

/** `assign_thread_from`: the request's thread, and the invitation as parent. */
function threadFrom(request: Message): Record<string, string> {
  const thread = request['~thread'] as { thid?: string; pthid?: string } | undefined
  return { thid: thread?.thid ?? request['@id'], ...(thread?.pthid ? { pthid: thread.pthid } : {}) }
}

/** `SignatureDecorator.create`: an 8-byte big-endian timestamp, then the value as Python's `json.dumps`, all signed; padded base64url (`bytes_to_b64(urlsafe=True)`). */
function signField(value: object, signer: KeyPair) {
  const timestamp = Buffer.alloc(8)
  timestamp.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)))
  const data = Buffer.concat([timestamp, Buffer.from(pythonJsonDumps(value), 'ascii')])
  return {
    '@type': typeOf('signature/1.0/ed25519Sha512_single'),
    signature: b64urlPadded(sign(data, signer)),
    sig_data: b64urlPadded(data),
    signer: signer.verkey,
  }
}

export function problemReport(typeWithoutPrefix: string, about: Message, code: string, en: string): Message {
  return {
    '@type': typeOf(typeWithoutPrefix),
    '@id': randomUUID(),
    '~thread': threadFrom(about),
    description: { code, en },
  }
}
