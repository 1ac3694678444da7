import { readySodium } from './sodium'

/**
 * Converting Ed25519 keys to X25519 costs a field inversion per call; on the proxy's hot path
 * that was a large share of unpack time. Conversions are pure functions of the key, so they are
 * cached. Public keys come from peers (unbounded), so that cache is capped and simply reset
 * when full: cheap, and a working set of live peers is refilled within a few messages.
 */
export class Ed25519ToX25519Cache {
  private readonly publicKeys = new Map<string, Uint8Array>()

  public constructor(private readonly maxPublicEntries = 10_000) {}

  /** @param publicKeyBase58 used as the cache key, so callers don't re-encode */
  public publicKey(publicKeyBase58: string, ed25519PublicKey: Uint8Array): Uint8Array {
    let converted = this.publicKeys.get(publicKeyBase58)
    if (!converted) {
      converted = readySodium().crypto_sign_ed25519_pk_to_curve25519(ed25519PublicKey)
      if (this.publicKeys.size >= this.maxPublicEntries) this.publicKeys.clear()
      this.publicKeys.set(publicKeyBase58, converted)
    }
    return converted
  }

  public clear(): void {
    this.publicKeys.clear()
  }
}
