import type { EnvelopeKeyPair } from './didcommV1Envelope'

import { boxBeforeNm } from './cryptoBox'
import { ed25519PublicKeyFromBase58 } from './didcommV1Envelope'
import { readySodium } from './sodium'

/**
 * What the wallet derives from peers' keys, kept because the proxy sees the same few peers on
 * every message:
 * - a peer's Ed25519 verkey converted to X25519: a base58 decode and a field inversion per call;
 * - the crypto_box key it shares with one of our keys (`crypto_box_beforenm`): an X25519
 *   scalar multiplication, the largest cost of an authcrypt pack or unpack.
 *
 * Both are pure functions of the keys, looked up by the base58 strings as they come in the
 * envelope, so a hit decodes nothing. Peers are unbounded, so each map is capped and simply
 * reset when full: a working set of live peers is refilled within a few messages. Shared keys
 * are secrets: they are wiped when dropped and on `clear()` (when the wallet closes).
 */
export class PeerKeyCache {
  private readonly publicKeys = new Map<string, Uint8Array>()
  private readonly sharedKeys = new Map<string, Uint8Array>()

  public constructor(private readonly maxEntries = 10_000) {}

  /** The X25519 form of a peer's base58 Ed25519 verkey; throws a WalletError if it is not one. */
  public readonly x25519PublicKey = (verkeyBase58: string): Uint8Array => {
    let converted = this.publicKeys.get(verkeyBase58)
    if (!converted) {
      converted = readySodium().crypto_sign_ed25519_pk_to_curve25519(ed25519PublicKeyFromBase58(verkeyBase58))
      if (this.publicKeys.size >= this.maxEntries) this.publicKeys.clear()
      this.publicKeys.set(verkeyBase58, converted)
    }
    return converted
  }

  /** The crypto_box key of one of our keys and a peer's verkey. */
  public readonly sharedKey = (own: EnvelopeKeyPair, peerVerkeyBase58: string): Uint8Array => {
    // Base58 has no space, so the pair is unambiguous.
    const cacheKey = `${own.publicKeyBase58} ${peerVerkeyBase58}`
    let shared = this.sharedKeys.get(cacheKey)
    if (!shared) {
      shared = boxBeforeNm(this.x25519PublicKey(peerVerkeyBase58), own.x25519SecretKey)
      if (this.sharedKeys.size >= this.maxEntries) this.wipeSharedKeys()
      this.sharedKeys.set(cacheKey, shared)
    }
    return shared
  }

  public clear(): void {
    this.publicKeys.clear()
    this.wipeSharedKeys()
  }

  private wipeSharedKeys(): void {
    const sodium = readySodium()
    for (const key of this.sharedKeys.values()) sodium.memzero(key)
    this.sharedKeys.clear()
  }
}
