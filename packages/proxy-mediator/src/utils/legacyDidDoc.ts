import { type Attachment, DidDoc, JsonEncoder, JsonTransformer, type Routing, TypedArrayEncoder } from '@credo-ts/core'
// Credo's own conversion of a legacy (connections 1.0) DID doc into a did:peer:1 document. It is
// what Credo applies to the same documents in connections 1.0, but it is not re-exported from the
// package index. Credo is the app's (a peer dependency), so `yarn test:packages` checks that this
// file and function are there in the releases at both ends of the range.
import { convertToNewDidDocument } from '@credo-ts/core/build/modules/connections/services/helpers'

/** The JSON shape of a legacy DID doc as ACA-Py writes it (`DIDDoc.serialize()`), and as ACA-Py reads ours. */
export interface LegacyDidDocJson {
  '@context': string
  id: string
  publicKey: Array<{ id: string; type: string; controller: string; publicKeyBase58: string }>
  authentication: Array<{ type: string; publicKey: string }>
  service: Array<{
    id: string
    type: string
    priority: number
    recipientKeys: string[]
    routingKeys: string[]
    serviceEndpoint: string
  }>
}

/**
 * The unqualified DID that Indy, ACA-Py and Credo derive from an Ed25519 verkey: the base58 of its
 * first 16 bytes. Binding the DID to the key this way is what makes an unqualified DID self-certifying.
 */
export function unqualifiedDidFromVerkey(verkeyBase58: string): string {
  return TypedArrayEncoder.toBase58(TypedArrayEncoder.fromBase58(verkeyBase58).slice(0, 16))
}

/** ACA-Py writes the doc id of an unqualified DID as `did:sov:<did>` and compares it that way. */
export function legacyDocIdFor(unqualifiedDid: string): string {
  return `did:sov:${unqualifiedDid}`
}

/**
 * Our side of a legacy DID exchange, in the exact shape of ACA-Py's `DIDDoc.serialize()`: ACA-Py
 * checks `did:sov:<response did>` against the doc's `id` and reads `publicKey`, `authentication`
 * and `IndyAgent` services with base58 keys.
 */
export function legacyDidDocForRouting(routing: Routing): { did: string; json: LegacyDidDocJson } {
  const verkey = routing.recipientKey.publicKeyBase58
  const did = unqualifiedDidFromVerkey(verkey)
  const id = legacyDocIdFor(did)
  const keyId = `${id}#1`
  return {
    did,
    json: {
      '@context': 'https://w3id.org/did/v1',
      id,
      publicKey: [{ id: keyId, type: 'Ed25519VerificationKey2018', controller: id, publicKeyBase58: verkey }],
      authentication: [{ type: 'Ed25519SignatureAuthentication2018', publicKey: keyId }],
      service: routing.endpoints.map((serviceEndpoint, index) => ({
        id: `${id};indy${index === 0 ? '' : index}`,
        type: 'IndyAgent',
        priority: index,
        recipientKeys: [verkey],
        routingKeys: routing.routingKeys.map((key) => key.publicKeyBase58),
        serviceEndpoint,
      })),
    },
  }
}

/** A legacy doc as a did:peer:1 document that Credo can store, resolve and route by. */
export function legacyDidDocToPeerDidDocument(json: unknown) {
  const didDoc = JsonTransformer.fromJSON(json, DidDoc)
  return { didDoc, didDocument: convertToNewDidDocument(didDoc) }
}

/**
 * The legacy doc attached to a DID exchange message for an unqualified DID, read and checked to be
 * the doc of that DID (ACA-Py writes its id as `did:sov:<did>`). Whose signature it needs is the
 * caller's rule: the DID's own key on a request, the invitation key on a response (RFC 0023).
 * Throws an error that says what is wrong.
 */
export function readAttachedLegacyDidDoc(attachment: Attachment | undefined, did: string) {
  let json: LegacyDidDocJson
  let converted: ReturnType<typeof legacyDidDocToPeerDidDocument>
  try {
    json = JsonEncoder.fromBase64(attachment?.data.base64 ?? '') as LegacyDidDocJson
    converted = legacyDidDocToPeerDidDocument(json)
  } catch (error) {
    throw new Error(`The attached DID doc is not a legacy DID doc: ${(error as Error).message}`)
  }
  if (json.id !== did && json.id !== legacyDocIdFor(did)) {
    throw new Error(`The attached DID doc is for '${json.id}', not for the message's DID '${did}'.`)
  }
  return { json, ...converted }
}
