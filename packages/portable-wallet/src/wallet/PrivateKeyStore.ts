import type { StoreKeys } from '../crypto/StoreKeys'
import type { WalletDatabase } from '../storage/WalletDatabase'

import { KeyType, TypedArrayEncoder, WalletError, WalletKeyExistsError } from '@credo-ts/core'

import { LookupDomain } from '../crypto/StoreKeys'
import { readySodium } from '../crypto/sodium'

/** Everything needed to sign and to open envelopes with one of our Ed25519 keys. */
export interface Ed25519KeyMaterial {
  publicKeyBase58: string
  publicKey: Uint8Array
  /** libsodium's 64-byte form: seed || public key */
  secretKey: Uint8Array
  x25519PublicKey: Uint8Array
  x25519SecretKey: Uint8Array
}

/** Caps the "not ours" cache; kids of other agents' keys are unbounded. */
const MAX_UNKNOWN_KIDS = 10_000

/**
 * Our private keys: encrypted in `wallet_keys`, decrypted and converted to X25519 once on first
 * use and then served from memory. Unpacking on the proxy's hot path therefore never touches
 * SQLite or redoes the Ed25519 -> X25519 conversion for a key it has seen.
 *
 * Kids that are not ours (other recipients listed before us in an envelope) are remembered too,
 * so they don't cost a database lookup per message. That cache is reset whenever a key is
 * created, because only this instance writes keys to this wallet.
 */
export class PrivateKeyStore {
  private readonly loaded = new Map<string, Ed25519KeyMaterial>()
  private readonly unknown = new Set<string>()

  public constructor(
    private readonly database: WalletDatabase,
    private readonly keys: StoreKeys,
  ) {}

  /** @param seed 32 bytes to derive the key from; random if omitted */
  public createEd25519(seed?: Uint8Array): Ed25519KeyMaterial {
    const sodium = readySodium()
    if (seed && seed.length !== sodium.crypto_sign_SEEDBYTES) {
      throw new WalletError(`An Ed25519 seed or private key must be ${sodium.crypto_sign_SEEDBYTES} bytes`)
    }
    const keyPair = seed ? sodium.crypto_sign_seed_keypair(seed) : sodium.crypto_sign_keypair()
    const publicKeyBase58 = TypedArrayEncoder.toBase58(keyPair.publicKey)

    const id = this.keys.lookupMac(LookupDomain.KeyId, publicKeyBase58)
    const sealedSecret = this.keys.sealPrivateKey(keyPair.privateKey, id)
    if (!this.database.insertKey(id, KeyType.Ed25519, sealedSecret)) {
      throw new WalletKeyExistsError('Key already exists')
    }

    this.unknown.clear()
    const material = toMaterial(publicKeyBase58, keyPair.privateKey)
    this.loaded.set(publicKeyBase58, material)
    return material
  }

  /** @returns the key if this wallet holds it (bound, so it can be passed as a callback) */
  public readonly find = (publicKeyBase58: string): Ed25519KeyMaterial | undefined => {
    const cached = this.loaded.get(publicKeyBase58)
    if (cached || this.unknown.has(publicKeyBase58)) return cached

    const id = this.keys.lookupMac(LookupDomain.KeyId, publicKeyBase58)
    const row = this.database.getKey(id)
    if (!row || row.keyType !== KeyType.Ed25519) {
      if (this.unknown.size >= MAX_UNKNOWN_KIDS) this.unknown.clear()
      this.unknown.add(publicKeyBase58)
      return undefined
    }

    let secretKey: Uint8Array
    try {
      secretKey = this.keys.openPrivateKey(row.secret, id)
    } catch (error) {
      throw new WalletError('Could not decrypt a private key: the wallet file is corrupt', { cause: error as Error })
    }
    const material = toMaterial(publicKeyBase58, secretKey)
    this.loaded.set(publicKeyBase58, material)
    return material
  }

  /** Drops decrypted keys from memory (on close). */
  public clear(): void {
    const sodium = readySodium()
    for (const material of this.loaded.values()) {
      sodium.memzero(material.secretKey)
      sodium.memzero(material.x25519SecretKey)
    }
    this.loaded.clear()
    this.unknown.clear()
  }
}

function toMaterial(publicKeyBase58: string, secretKey: Uint8Array): Ed25519KeyMaterial {
  const sodium = readySodium()
  const publicKey = secretKey.slice(32, 64)
  return {
    publicKeyBase58,
    publicKey,
    secretKey,
    x25519PublicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(publicKey),
    x25519SecretKey: sodium.crypto_sign_ed25519_sk_to_curve25519(secretKey),
  }
}
