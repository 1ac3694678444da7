import type { EncryptedMessage, UnpackedMessageContext } from '@credo-ts/core'

import { TypedArrayEncoder, WalletError } from '@credo-ts/core'

import { decodeBase64Url, toBase64Url } from './base64url'
import { boxBeforeNm, boxSeal, boxSealOpen } from './cryptoBox'
import { secureRandom } from './secureRandom'
import { readySodium } from './sodium'

/**
 * DIDComm v1 envelope (Aries RFC 0019), byte for byte as Askar, indy-sdk and ACA-Py write it.
 * See /work/shared/design/didcomm-v1-envelope.md. Pure functions: the wallet supplies keys.
 */

/** The header says XChaCha, but every implementation uses 12-byte-nonce ChaCha20-Poly1305 IETF. */
export const DIDCOMM_V1_ENC = 'xchacha20poly1305_ietf'
export const DIDCOMM_V1_TYP = 'JWM/1.0'

/** An Ed25519 key we hold, already converted for crypto_box. */
export interface EnvelopeKeyPair {
  publicKeyBase58: string
  x25519PublicKey: Uint8Array
  x25519SecretKey: Uint8Array
}

/** Converts a peer's base58 Ed25519 verkey to X25519 (the wallet caches this). */
export type ToX25519PublicKey = (verkeyBase58: string) => Uint8Array

/** Returns the key pair for `kid` if the wallet holds it, else undefined. */
export type FindOwnKey = (kid: string) => EnvelopeKeyPair | undefined

/**
 * The crypto_box key (`crypto_box_beforenm`) shared by one of our keys and a peer's verkey.
 * It is a pure function of the two keys, so a wallet may cache it: authcrypt then costs no
 * X25519 for a peer seen before. Without one, it is computed per call and wiped after use.
 */
export type SharedBoxKey = (own: EnvelopeKeyPair, peerVerkeyBase58: string) => Uint8Array

/** UTF-8 as libsodium's `to_string` decodes it (fatal: invalid bytes throw), with one decoder, not one per call. */
const utf8 = new TextDecoder('utf-8', { fatal: true })

interface RecipientHeader {
  kid: string
  // null is how aries-staticagent and ACA-Py's pre-Askar Python crypto write an anoncrypt header.
  sender?: string | null
  iv?: string | null
}

interface Recipient {
  encrypted_key: string
  header: RecipientHeader
}

interface ProtectedHeader {
  enc: string
  typ: string
  alg: string
  recipients: Recipient[]
}

const CEK_BYTES = 32
const CONTENT_NONCE_BYTES = 12
const TAG_BYTES = 16

export function packDidcommV1(
  payload: Record<string, unknown>,
  recipientKeys: string[],
  toX25519PublicKey: ToX25519PublicKey,
  sender?: EnvelopeKeyPair,
  sharedBoxKey?: SharedBoxKey,
): EncryptedMessage {
  const sodium = readySodium()
  const cek = secureRandom(CEK_BYTES)
  const senderVerkeyBytes = sender ? sodium.from_string(sender.publicKeyBase58) : undefined

  const recipients: Recipient[] = recipientKeys.map((kid) => {
    const recipientX25519 = toX25519PublicKey(kid)
    if (sender && senderVerkeyBytes) {
      const nonce = secureRandom(sodium.crypto_box_NONCEBYTES)
      // crypto_box_easy is beforenm + easy_afternm: the same bytes, with the shared key reusable.
      const encryptedKey = withSharedKey(sender, kid, toX25519PublicKey, sharedBoxKey, (key) =>
        sodium.crypto_box_easy_afternm(cek, nonce, key),
      )
      // Key order matters for byte-equality with other implementations: kid, sender, iv.
      return {
        encrypted_key: toBase64Url(encryptedKey),
        header: {
          kid,
          sender: toBase64Url(boxSeal(senderVerkeyBytes, recipientX25519)),
          iv: toBase64Url(nonce),
        },
      }
    }
    return { encrypted_key: toBase64Url(boxSeal(cek, recipientX25519)), header: { kid } }
  })

  const protectedHeader: ProtectedHeader = {
    enc: DIDCOMM_V1_ENC,
    typ: DIDCOMM_V1_TYP,
    alg: sender ? 'Authcrypt' : 'Anoncrypt',
    recipients,
  }
  const protectedB64 = toBase64Url(sodium.from_string(JSON.stringify(protectedHeader)))

  const iv = secureRandom(CONTENT_NONCE_BYTES)
  // AAD is the protected string exactly as transmitted (its ASCII bytes), not the decoded JSON.
  const { ciphertext, mac } = sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    sodium.from_string(JSON.stringify(payload)),
    sodium.from_string(protectedB64),
    null,
    iv,
    cek,
  )
  sodium.memzero(cek)

  return { protected: protectedB64, iv: toBase64Url(iv), ciphertext: toBase64Url(ciphertext), tag: toBase64Url(mac) }
}

export function unpackDidcommV1(
  message: EncryptedMessage,
  findOwnKey: FindOwnKey,
  toX25519PublicKey: ToX25519PublicKey,
  sharedBoxKey?: SharedBoxKey,
): UnpackedMessageContext {
  const sodium = readySodium()
  const header = parseProtectedHeader(message)

  if (header.alg !== 'Authcrypt' && header.alg !== 'Anoncrypt') {
    throw new WalletError(`Unsupported pack algorithm: ${String(header.alg)}`)
  }
  if (header.enc !== DIDCOMM_V1_ENC) {
    throw new WalletError(`Unsupported content encryption: ${String(header.enc)}`)
  }

  // First recipient whose kid we hold, in the order the sender listed them.
  let recipient: Recipient | undefined
  let ownKey: EnvelopeKeyPair | undefined
  for (const candidate of header.recipients) {
    const kid = candidate?.header?.kid
    if (typeof kid !== 'string') continue
    ownKey = findOwnKey(kid)
    if (ownKey) {
      recipient = candidate
      break
    }
  }
  if (!recipient || !ownKey) {
    throw new WalletError('No corresponding recipient key found')
  }

  const { sender, iv } = recipient.header
  let senderKey: string | undefined
  let cek: Uint8Array
  try {
    const encryptedKey = decodeBase64Url(recipient.encrypted_key)
    if (header.alg === 'Authcrypt') {
      if (!sender || !iv) throw new WalletError('Authcrypt recipient header requires both sender and iv')
      const senderVerkey = utf8.decode(
        boxSealOpen(decodeBase64Url(sender), ownKey.x25519PublicKey, ownKey.x25519SecretKey),
      )
      senderKey = senderVerkey
      const nonce = decodeBase64Url(iv)
      cek = withSharedKey(ownKey, senderVerkey, toX25519PublicKey, sharedBoxKey, (key) =>
        sodium.crypto_box_open_easy_afternm(encryptedKey, nonce, key),
      )
    } else {
      // Askar reads null as absent: aries-staticagent and ACA-Py's Python crypto before Askar
      // write `"sender": null, "iv": null` on anoncrypt. A value there is still refused.
      if ((sender !== undefined && sender !== null) || (iv !== undefined && iv !== null)) {
        throw new WalletError('Anoncrypt recipient header must not contain sender or iv')
      }
      cek = boxSealOpen(encryptedKey, ownKey.x25519PublicKey, ownKey.x25519SecretKey)
    }
  } catch (error) {
    if (error instanceof WalletError) throw error
    throw new WalletError('Failed to decrypt the content key of the DIDComm message', { cause: error as Error })
  }
  if (cek.length !== CEK_BYTES) throw new WalletError('Invalid content key length')

  let plaintext: Uint8Array
  try {
    const contentNonce = decodeBase64Url(message.iv)
    const tag = decodeBase64Url(message.tag)
    if (contentNonce.length !== CONTENT_NONCE_BYTES || tag.length !== TAG_BYTES) {
      throw new Error('Invalid iv or tag length')
    }
    plaintext = sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(
      null,
      decodeBase64Url(message.ciphertext),
      tag,
      sodium.from_string(message.protected),
      contentNonce,
      cek,
    )
  } catch (error) {
    throw new WalletError('Failed to decrypt the DIDComm message content', { cause: error as Error })
  } finally {
    sodium.memzero(cek)
  }

  let plaintextMessage: UnpackedMessageContext['plaintextMessage']
  try {
    plaintextMessage = JSON.parse(utf8.decode(plaintext))
  } catch (error) {
    throw new WalletError('DIDComm message content is not valid JSON', { cause: error as Error })
  }
  return { plaintextMessage, senderKey, recipientKey: ownKey.publicKeyBase58 }
}

/** Runs `use` with the box key of `own` and a peer: the wallet's, or one computed here and wiped after. */
function withSharedKey<T>(
  own: EnvelopeKeyPair,
  peerVerkeyBase58: string,
  toX25519PublicKey: ToX25519PublicKey,
  sharedBoxKey: SharedBoxKey | undefined,
  use: (key: Uint8Array) => T,
): T {
  if (sharedBoxKey) return use(sharedBoxKey(own, peerVerkeyBase58))
  const sodium = readySodium()
  const key = boxBeforeNm(toX25519PublicKey(peerVerkeyBase58), own.x25519SecretKey)
  try {
    return use(key)
  } finally {
    sodium.memzero(key)
  }
}

function parseProtectedHeader(message: EncryptedMessage): ProtectedHeader {
  let header: ProtectedHeader
  try {
    header = JSON.parse(decodeBase64Url(message.protected).toString('utf8'))
  } catch (error) {
    throw new WalletError('Invalid DIDComm envelope: protected header is not base64url JSON', {
      cause: error as Error,
    })
  }
  if (!header || typeof header !== 'object' || !Array.isArray(header.recipients)) {
    throw new WalletError('Invalid DIDComm envelope: protected header has no recipients')
  }
  return header
}

/** Decodes a base58 Ed25519 verkey, rejecting anything that is not 32 bytes. */
export function ed25519PublicKeyFromBase58(verkeyBase58: string): Uint8Array {
  const bytes = TypedArrayEncoder.fromBase58(verkeyBase58)
  if (bytes.length !== 32) throw new WalletError(`Invalid Ed25519 verkey: ${verkeyBase58}`)
  return new Uint8Array(bytes)
}
