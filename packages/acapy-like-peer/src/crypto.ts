import sodium from 'libsodium-wrappers-sumo'
import { fromBase58, toBase58 } from './encoding'

export { sodium }

export async function ready(): Promise<void> {
  await sodium.ready
}

export interface KeyPair {
  /** base58 of the 32-byte Ed25519 public key: a "verkey". */
  verkey: string
  publicKey: Uint8Array
  secretKey: Uint8Array
}

export function newKeyPair(): KeyPair {
  const { publicKey, privateKey } = sodium.crypto_sign_keypair()
  return { verkey: toBase58(publicKey), publicKey, secretKey: privateKey }
}

export function x25519PublicOf(verkey: string): Uint8Array {
  return sodium.crypto_sign_ed25519_pk_to_curve25519(fromBase58(verkey))
}

export function x25519SecretOf(keyPair: KeyPair): Uint8Array {
  return sodium.crypto_sign_ed25519_sk_to_curve25519(keyPair.secretKey)
}

export function sign(message: Uint8Array, keyPair: KeyPair): Uint8Array {
  return sodium.crypto_sign_detached(message, keyPair.secretKey)
}

export function verify(signature: Uint8Array, message: Uint8Array, verkey: string): boolean {
  try {
    return sodium.crypto_sign_verify_detached(signature, message, fromBase58(verkey))
  } catch {
    return false
  }
}

export function sha256(data: Uint8Array): Uint8Array {
  return sodium.crypto_hash_sha256(data)
}
