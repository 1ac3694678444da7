import { type KeyObject, createPrivateKey, createPublicKey, diffieHellman, randomFillSync } from 'node:crypto'

import { toBase64Url } from './base64url'
import { readySodium } from './sodium'

/**
 * libsodium's `crypto_box_beforenm`, `crypto_box_seal` and `crypto_box_seal_open`, byte for byte,
 * with the X25519 scalar multiplication done by Node's OpenSSL instead of libsodium's WebAssembly.
 *
 * Why: the X25519 is almost all of a sealed box's cost, and every relayed forward opens one.
 * Measured on the bench machine, WebAssembly took 180-260 µs per X25519 and OpenSSL about 50 µs
 * (plus 14 µs to import the peer's public key). X25519 is one function (RFC 7748: the same
 * clamping, the same bytes), so the rest stays libsodium's: HSalsa20 for the box key, BLAKE2b for
 * the sealed box's nonce, XSalsa20-Poly1305 for the box itself.
 */

const X25519_KEY_BYTES = 32
const BOX_MAC_BYTES = 16
const SEAL_NONCE_BYTES = 24
const HSALSA20_ZERO_INPUT = new Uint8Array(16)

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410): our own keys are imported once this way,
// so that no secret ever passes through a JS string (a JWK would need one).
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')

// Our own secret keys are few and long-lived; the wallet holds their bytes until it closes. Keyed
// weakly by those bytes, a KeyObject goes when the wallet drops the key (OpenSSL clears it on free).
const ownKeyObjects = new WeakMap<Uint8Array, KeyObject>()

type HSalsa20 = (input: Uint8Array, key: Uint8Array, constant: Uint8Array | null) => Uint8Array

function hsalsa20(key: Uint8Array): Uint8Array {
  // Present in libsodium-wrappers-sumo, missing from its type declarations.
  const core = (readySodium() as unknown as { crypto_core_hsalsa20: HSalsa20 }).crypto_core_hsalsa20
  return core(HSALSA20_ZERO_INPUT, key, null)
}

function ownKeyObject(secretKey: Uint8Array): KeyObject {
  let keyObject = ownKeyObjects.get(secretKey)
  if (!keyObject) {
    if (secretKey.length !== X25519_KEY_BYTES) throw new Error('invalid X25519 secret key length')
    const der = Buffer.concat([PKCS8_X25519_PREFIX, secretKey])
    try {
      keyObject = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    } finally {
      der.fill(0)
    }
    ownKeyObjects.set(secretKey, keyObject)
  }
  return keyObject
}

/**
 * A fresh X25519 key pair for one sealed box, made without `generateKeyPairSync`: on Node 20 its
 * job and a JWK export deadlocked a process for good. The export holds the key's mutex while it
 * allocates; a GC in that allocation ran the finalizer of the key-generation job, which takes the
 * same mutex (seen in gdb: `ExportJWKEdKey` → `CollectGarbage` → `~KeyGenJob` → `uv_mutex_lock`,
 * the main thread parked in a futex with nothing else running).
 *
 * The secret is imported as a JWK (28 µs; the PKCS#8 import used for our own keys takes 370 µs
 * through OpenSSL's decoders), so for this one key it passes through a JS string: it protects a
 * single content key, and only until the box is made. Node reads only `d` of a private OKP JWK.
 */
function ephemeralKeyPair(): { privateKey: KeyObject; publicKey: Uint8Array } {
  const secret = randomFillSync(Buffer.alloc(X25519_KEY_BYTES))
  try {
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: secret.toString('base64url'), x: '' },
      format: 'jwk',
    })
    const publicKey = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url')
    return { privateKey, publicKey }
  } finally {
    secret.fill(0)
  }
}

function peerKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== X25519_KEY_BYTES) throw new Error('invalid X25519 public key length')
  // The JWK import is a raw-key import; the DER one goes through OpenSSL's decoders, 10x slower.
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: toBase64Url(publicKey) }, format: 'jwk' })
}

/**
 * The box key of a secret key and a peer's public key: HSalsa20 of their X25519, as
 * `crypto_box_beforenm`. A low-order peer key gives an all-zero X25519, which OpenSSL refuses,
 * as libsodium does.
 */
function boxKey(privateKey: KeyObject, peerPublicKey: Uint8Array): Uint8Array {
  const shared = diffieHellman({ privateKey, publicKey: peerKeyObject(peerPublicKey) })
  try {
    return hsalsa20(shared)
  } finally {
    shared.fill(0)
  }
}

export function boxBeforeNm(peerPublicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return boxKey(ownKeyObject(secretKey), peerPublicKey)
}

function sealNonce(ephemeralPublicKey: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(2 * X25519_KEY_BYTES)
  input.set(ephemeralPublicKey, 0)
  input.set(recipientPublicKey, X25519_KEY_BYTES)
  return readySodium().crypto_generichash(SEAL_NONCE_BYTES, input)
}

/** `crypto_box_seal`: an ephemeral public key, then the box of `message` from it to the recipient. */
export function boxSeal(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  const sodium = readySodium()
  const { privateKey: ephemeralPrivateKey, publicKey: ephemeralPublicKey } = ephemeralKeyPair()
  const key = boxKey(ephemeralPrivateKey, recipientPublicKey)
  try {
    const boxed = sodium.crypto_box_easy_afternm(message, sealNonce(ephemeralPublicKey, recipientPublicKey), key)
    const sealed = new Uint8Array(X25519_KEY_BYTES + boxed.length)
    sealed.set(ephemeralPublicKey, 0)
    sealed.set(boxed, X25519_KEY_BYTES)
    return sealed
  } finally {
    sodium.memzero(key)
  }
}

/** `crypto_box_seal_open`: throws if the box was not sealed to this key pair or was altered. */
export function boxSealOpen(sealed: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (sealed.length < X25519_KEY_BYTES + BOX_MAC_BYTES) throw new Error('sealed box is too short')
  const sodium = readySodium()
  const ephemeralPublicKey = sealed.subarray(0, X25519_KEY_BYTES)
  const key = boxKey(ownKeyObject(secretKey), ephemeralPublicKey)
  try {
    return sodium.crypto_box_open_easy_afternm(
      sealed.subarray(X25519_KEY_BYTES),
      sealNonce(ephemeralPublicKey, publicKey),
      key,
    )
  } finally {
    sodium.memzero(key)
  }
}
