import { type AgentContext, type Attachment, DidKey, Key, KeyType, TypedArrayEncoder } from '@credo-ts/core'

interface JwsSignature {
  protected?: string
  signature?: string
  header?: { kid?: unknown }
}

/**
 * The keys (base58) whose EdDSA signatures on a signed attachment verify; it throws if any does
 * not. Credo's JwsService refuses a protected header that carries both `kid` and `jwk`, which is
 * how ACA-Py up to 0.11 signs attachments, so the check is made here, as ACA-Py's
 * `AttachDecoratorData.verify` makes it: over `protected.payload`, with the key of the header.
 */
export async function attachmentSigners(agentContext: AgentContext, attachment: Attachment): Promise<string[]> {
  const { base64, jws } = attachment.data
  if (!base64 || !jws) throw new Error('the attachment is not signed')
  const payload = TypedArrayEncoder.toBase64URL(TypedArrayEncoder.fromBase64(base64))
  const signatures: JwsSignature[] = 'signatures' in jws ? (jws.signatures as JwsSignature[]) : [jws as JwsSignature]
  const signers: string[] = []
  for (const { protected: protectedHeader, signature, header } of signatures) {
    if (!protectedHeader || !signature) throw new Error('a signature has no protected header or no value')
    const decoded = JSON.parse(TypedArrayEncoder.fromBase64(protectedHeader).toString())
    if (decoded.alg !== 'EdDSA') throw new Error(`unsupported signature algorithm ${decoded.alg}`)
    const key = signerKey(decoded.jwk, decoded.kid ?? header?.kid)
    const valid = await agentContext.wallet.verify({
      data: TypedArrayEncoder.fromString(`${protectedHeader}.${payload}`),
      key,
      signature: TypedArrayEncoder.fromBase64(signature),
    })
    if (!valid) throw new Error('a signature does not verify')
    signers.push(key.publicKeyBase58)
  }
  return signers
}

function signerKey(jwk: { kty?: string; crv?: string; x?: string } | undefined, kid: unknown): Key {
  if (jwk?.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string') {
    return Key.fromPublicKey(TypedArrayEncoder.fromBase64(jwk.x), KeyType.Ed25519)
  }
  if (typeof kid === 'string' && kid.startsWith('did:key:')) return DidKey.fromDid(kid).key
  throw new Error('the signature names no Ed25519 key')
}
