import { randomUUID } from 'node:crypto'
import { type KeyPair, sign, verify } from './crypto'
import { b64url, fromB64, toBase58, utf8 } from './encoding'
import { didKeyOf } from './dids'

export interface SignedAttachment {
  '@id': string
  'mime-type'?: string
  data: { base64: string; jws: Record<string, unknown> }
}

/**
 * An attachment signed as ACA-Py's `AttachDecoratorData.sign` does it: standard base64 data, and a
 * flattened JWS (EdDSA, the signer's did:key as `kid`, its key as an OKP `jwk` in the protected
 * header) over the base64url form of the same bytes.
 */
export function signedAttachment(content: string | object, signer: KeyPair): SignedAttachment {
  const bytes = Buffer.from(typeof content === 'string' ? content : JSON.stringify(content), 'utf8')
  const kid = didKeyOf(signer.verkey)
  const protectedHeader = b64url(
    JSON.stringify({ alg: 'EdDSA', kid, jwk: { kty: 'OKP', crv: 'Ed25519', x: b64url(signer.publicKey), kid } }),
  )
  const signature = sign(Buffer.from(`${protectedHeader}.${b64url(bytes)}`, 'ascii'), signer)
  return {
    '@id': randomUUID(),
    ...(typeof content === 'string' ? {} : { 'mime-type': 'application/json' }),
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
