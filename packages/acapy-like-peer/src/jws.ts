import { randomUUID } from 'node:crypto'
import { type KeyPair, sign, verify } from './crypto'
import { type DidCommService, didKeyOf, serviceOfDoc } from './dids'
import { b64url, fromB64, toBase58, utf8 } from './encoding'

export interface SignedAttachment {
  '@id': string
  'mime-type'?: string
  data: { base64: string; jws: Record<string, unknown> }
}

export interface SignOptions {
  /**
   * Whether the protected header carries the signer's did:key as a top-level `kid` beside the `jwk`,
   * as ACA-Py up to 0.11 writes it. From 0.12 the `kid` is only inside the `jwk` and in the
   * unprotected header (`messaging/decorators/attach_decorator.py`, `build_protected`). @default true
   */
  protectedKid?: boolean
  /** How an object is turned into the signed bytes (ACA-Py: Python's `json.dumps`). @default JSON.stringify */
  serialize?: (content: object) => string
  /** The attachment's `mime-type` for a string: ACA-Py's `data_base64_string` writes `text/string`. */
  stringMimeType?: string
}

/**
 * An attachment signed as ACA-Py's `AttachDecoratorData.sign` does it: standard base64 data, and a
 * flattened JWS (EdDSA, the signer's did:key as `kid`, its key as an OKP `jwk` in the protected
 * header) over the base64url form of the same bytes.
 */
export function signedAttachment(
  content: string | object,
  signer: KeyPair,
  options: SignOptions = {},
): SignedAttachment {
  const { protectedKid = true, serialize = JSON.stringify, stringMimeType } = options
  const bytes = Buffer.from(typeof content === 'string' ? content : serialize(content), 'utf8')
  const kid = didKeyOf(signer.verkey)
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(signer.publicKey), kid }
  const protectedHeader = b64url(JSON.stringify(protectedKid ? { alg: 'EdDSA', kid, jwk } : { alg: 'EdDSA', jwk }))
  const signature = sign(Buffer.from(`${protectedHeader}.${b64url(bytes)}`, 'ascii'), signer)
  const mimeType = typeof content === 'string' ? stringMimeType : 'application/json'
  return {
    '@id': randomUUID(),
    ...(mimeType ? { 'mime-type': mimeType } : {}),
    data: {
      base64: bytes.toString('base64'),
      jws: { header: { kid }, protected: protectedHeader, signature: b64url(signature) },
    },
  }
}

/**
 * ACA-Py's `AttachDecoratorData.verify`: every signature must verify with the key in its protected
 * header's `jwk`, and, when a signer is expected, it must be among them. Returns the signed bytes.
 */
export function verifiedAttachment(attachment: unknown, expectedSigner?: string): Uint8Array {
  const data = (attachment as { data?: { base64?: string; jws?: Record<string, unknown> } })?.data
  if (!data?.base64 || !data.jws) throw new Error('The attachment is not signed')
  const payload = b64url(fromB64(data.base64))
  const signatures = (data.jws.signatures as Array<Record<string, string>> | undefined) ?? [
    data.jws as Record<string, string>,
  ]
  const signers: string[] = []
  for (const { protected: protectedHeader, signature } of signatures) {
    const header = JSON.parse(utf8(fromB64(protectedHeader)))
    if (header.jwk?.kty !== 'OKP') throw new Error('The JWS protected header has no OKP jwk')
    const verkey = toBase58(fromB64(header.jwk.x))
    if (!verify(fromB64(signature), Buffer.from(`${protectedHeader}.${payload}`, 'ascii'), verkey)) {
      throw new Error('An attachment signature does not verify')
    }
    signers.push(verkey)
  }
  if (expectedSigner && !signers.includes(expectedSigner)) {
    throw new Error(`The attachment is not signed by ${expectedSigner} (signed by ${signers.join(', ')})`)
  }
  return fromB64(data.base64)
}

/**
 * The service of a signed `did_doc~attach` that must describe `did`, an unqualified DID being
 * read as `did:sov:` (`protocols/didexchange/v1_0/manager.py`, `_extract_and_record_did_doc_info`):
 * the same check on a request (the mediator) and on a response (the agent).
 */
export function serviceOfAttachedDoc(attachment: unknown, did: string, expectedSigner?: string): DidCommService {
  const doc = JSON.parse(utf8(verifiedAttachment(attachment, expectedSigner))) as Record<string, unknown>
  const expectedId = did.startsWith('did:') ? did : `did:sov:${did}`
  if (doc.id !== expectedId) throw new Error(`Connection DID ${did} does not match DID Doc id ${String(doc.id)}`)
  return serviceOfDoc(doc)
}
