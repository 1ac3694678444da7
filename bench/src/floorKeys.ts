import type { KeyPair } from '@proxy-mediator/acapy-like-peer'
import sodium from 'libsodium-wrappers-sumo'
import { type BoxKeyPair, x25519PublicOf } from './envelope'

/** A key as a floor's config carries it over IPC: the verkey, and the X25519 secret it decrypts with. */
export interface FloorKeyConfig {
  verkey: string
  x25519SecretKeyB64: string
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

/** The floor's own key on its connection to the mediator, made by the ACA-Py-like peer. */
export function connectionKeyConfig(key: KeyPair): FloorKeyConfig {
  return { verkey: key.verkey, x25519SecretKeyB64: base64(sodium.crypto_sign_ed25519_sk_to_curve25519(key.secretKey)) }
}

/** The key the floor's forwards are anoncrypted to. */
export function boxKeyConfig(key: BoxKeyPair): FloorKeyConfig {
  return { verkey: key.verkey, x25519SecretKeyB64: base64(key.x25519SecretKey) }
}

const keyPairOf = (key: FloorKeyConfig): BoxKeyPair => ({
  verkey: key.verkey,
  x25519PublicKey: x25519PublicOf(key.verkey),
  x25519SecretKey: new Uint8Array(Buffer.from(key.x25519SecretKeyB64, 'base64')),
})

/** Where a floor connects and relays, and its keys: what every floor's config holds. */
export interface FloorConnectionConfig {
  wsUrl: string
  sinkUrl: string
  /** Our key on the connection to the mediator. */
  ours: FloorKeyConfig
  /** The mediator's key on that connection (base58). */
  theirs: string
  /** The key the forwards are anoncrypted to. */
  forwardKey: FloorKeyConfig
  /** POSTs in flight to the sink at most. */
  concurrency: number
}

/** In the floor's process: its keys from its config, and the box keys it keeps per sender. */
export function floorKeysOf(config: FloorConnectionConfig) {
  return {
    ours: keyPairOf(config.ours),
    forwardKey: keyPairOf(config.forwardKey),
    mediator: { verkey: config.theirs, x25519PublicKey: x25519PublicOf(config.theirs) },
    sharedKeys: new Map<string, Uint8Array>(),
  }
}
