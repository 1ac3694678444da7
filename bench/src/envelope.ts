import { randomBytes } from 'node:crypto'
import { TypedArrayEncoder } from '@credo-ts/core'
import { boxSeal, boxSealOpen, loadSodium } from '@proxy-mediator/portable-wallet'
import sodium from 'libsodium-wrappers-sumo'

/**
 * Raw DIDComm v1 anoncrypt (Aries RFC 0019), written out with the primitives so that the floor
 * measures nothing but the crypto, a JSON parse and a POST. See
 * /work/shared/design/didcomm-v1-envelope.md. The floor opens sealed boxes with the fastest
 * primitive this runtime has, the one the wallet uses too (`boxSealOpen`: X25519 by OpenSSL, the
 * rest libsodium): a floor with slower crypto than the proxy's would flatter the proxy.
 */
export interface Envelope {
  protected: string
  iv: string
  ciphertext: string
  tag: string
}

export interface BoxKeyPair {
  verkey: string
  x25519PublicKey: Uint8Array
  x25519SecretKey: Uint8Array
}

export async function readySodium(): Promise<typeof sodium> {
  await sodium.ready
  // boxSealOpen runs on the wallet package's libsodium handle, which must have loaded too.
  await loadSodium()
  return sodium
}

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const unb64u = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'))

export function x25519PublicOf(verkey: string): Uint8Array {
  return sodium.crypto_sign_ed25519_pk_to_curve25519(TypedArrayEncoder.fromBase58(verkey))
}

export function generateBoxKeyPair(): BoxKeyPair {
  const pair = sodium.crypto_sign_keypair()
  return {
    verkey: TypedArrayEncoder.toBase58(pair.publicKey),
    x25519PublicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(pair.publicKey),
    x25519SecretKey: sodium.crypto_sign_ed25519_sk_to_curve25519(pair.privateKey),
  }
}

/**
 * Anoncrypt `plaintext` to one Ed25519 verkey; `iv` (12 bytes) may be chosen to carry an id.
 * Random bytes come from Node and the sealed box from the wallet's `boxSeal` (OpenSSL's X25519):
 * libsodium.js draws randomness 4 bytes at a time through a call out of WebAssembly, which made
 * generating the bench's forwards take half of every run.
 */
export function anoncrypt(plaintext: string, recipientVerkey: string, recipientX25519: Uint8Array, iv?: Uint8Array) {
  const cek = new Uint8Array(randomBytes(32))
  const recipient = { encrypted_key: b64u(boxSeal(cek, recipientX25519)), header: { kid: recipientVerkey } }
  return encryptContent(plaintext, 'Anoncrypt', recipient, cek, iv)
}

/** The envelope around `plaintext`: the protected header with its one recipient, ChaCha20-Poly1305 IETF. */
function encryptContent(
  plaintext: string,
  alg: 'Anoncrypt' | 'Authcrypt',
  recipient: { encrypted_key: string; header: Record<string, string> },
  cek: Uint8Array,
  iv?: Uint8Array,
): Envelope {
  const header = { enc: 'xchacha20poly1305_ietf', typ: 'JWM/1.0', alg, recipients: [recipient] }
  const protectedB64 = Buffer.from(JSON.stringify(header)).toString('base64url')
  const nonce = iv ?? new Uint8Array(randomBytes(12))
  const { ciphertext, mac } = sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    sodium.from_string(plaintext),
    sodium.from_string(protectedB64),
    null,
    nonce,
    cek,
  )
  return { protected: protectedB64, iv: b64u(nonce), ciphertext: b64u(ciphertext), tag: b64u(mac) }
}

/** The floor's unpack: header parse, the sealed-box open of the CEK, ChaCha20-Poly1305 IETF decrypt. */
export function anonDecrypt(envelope: Envelope, own: BoxKeyPair): string {
  const recipient = ownRecipient(envelope, own)
  const cek = boxSealOpen(unb64u(recipient.encrypted_key), own.x25519PublicKey, own.x25519SecretKey)
  return decryptContent(envelope, cek)
}

/**
 * The floor of an authcrypt unpack, the least work any wallet must do: the sender's key and the
 * box key shared with it are the same on every envelope of a connection, so they are kept (in
 * `sharedKeys`); the sealed sender and the content are new in every envelope.
 */
export function authDecrypt(envelope: Envelope, own: BoxKeyPair, sharedKeys: Map<string, Uint8Array>): string {
  const recipient = ownRecipient(envelope, own)
  const sender = boxSealOpen(unb64u(recipient.header.sender), own.x25519PublicKey, own.x25519SecretKey)
  const senderVerkey = Buffer.from(sender).toString('utf8')
  let shared = sharedKeys.get(senderVerkey)
  if (!shared) {
    shared = sodium.crypto_box_beforenm(x25519PublicOf(senderVerkey), own.x25519SecretKey)
    sharedKeys.set(senderVerkey, shared)
  }
  const cek = sodium.crypto_box_open_easy_afternm(unb64u(recipient.encrypted_key), unb64u(recipient.header.iv), shared)
  return decryptContent(envelope, cek)
}

/**
 * The floor of an authcrypt pack, with the box key shared with the recipient kept as in
 * `authDecrypt`: a fresh content key boxed to the recipient, the sender's verkey sealed beside it.
 * The recipient comes with its X25519 key, converted once per peer, not once per envelope.
 */
export function authEncrypt(
  plaintext: string,
  own: BoxKeyPair,
  to: Pick<BoxKeyPair, 'verkey' | 'x25519PublicKey'>,
  sharedKeys: Map<string, Uint8Array>,
): Envelope {
  let shared = sharedKeys.get(to.verkey)
  if (!shared) {
    shared = sodium.crypto_box_beforenm(to.x25519PublicKey, own.x25519SecretKey)
    sharedKeys.set(to.verkey, shared)
  }
  const cek = new Uint8Array(randomBytes(32))
  const keyNonce = new Uint8Array(randomBytes(24))
  const recipient = {
    encrypted_key: b64u(sodium.crypto_box_easy_afternm(cek, keyNonce, shared)),
    header: {
      kid: to.verkey,
      sender: b64u(boxSeal(new Uint8Array(Buffer.from(own.verkey, 'utf8')), to.x25519PublicKey)),
      iv: b64u(keyNonce),
    },
  }
  return encryptContent(plaintext, 'Authcrypt', recipient, cek)
}

interface RecipientJson {
  encrypted_key: string
  header: { kid: string; sender: string; iv: string }
}

function ownRecipient(envelope: Envelope, own: BoxKeyPair): RecipientJson {
  const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString('utf8'))
  const recipient = header.recipients.find((candidate: RecipientJson) => candidate.header.kid === own.verkey)
  if (!recipient) throw new Error('not addressed to the floor key')
  return recipient
}

function decryptContent(envelope: Envelope, cek: Uint8Array): string {
  const plaintext = sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(
    null,
    unb64u(envelope.ciphertext),
    unb64u(envelope.tag),
    sodium.from_string(envelope.protected),
    unb64u(envelope.iv),
    cek,
  )
  return Buffer.from(plaintext).toString('utf8')
}

/**
 * The message id rides in the inner envelope's 12-byte nonce: 4 bytes of run tag, 4 bytes of
 * sequence number, 4 random bytes. The sink reads it back without decrypting anything.
 */
export function idNonce(runTag: number, seq: number): Uint8Array {
  const nonce = Buffer.alloc(12)
  nonce.writeUInt32BE(runTag >>> 0, 0)
  nonce.writeUInt32BE(seq >>> 0, 4)
  randomBytes(4).copy(nonce, 8)
  return new Uint8Array(nonce)
}

/** Reads `{runTag, seq}` from a relayed body (the inner envelope JSON); undefined if absent. */
export function readIdFromBody(body: string): { runTag: number; seq: number } | undefined {
  const start = body.indexOf('"iv":"')
  if (start < 0) return undefined
  const end = body.indexOf('"', start + 6)
  if (end < 0) return undefined
  const nonce = Buffer.from(body.slice(start + 6, end), 'base64url')
  if (nonce.length !== 12) return undefined
  return { runTag: nonce.readUInt32BE(0), seq: nonce.readUInt32BE(4) }
}
