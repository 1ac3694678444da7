import { DidKey, Key, KeyType } from '@credo-ts/core'

/** Keylists and forwards carry keys either as base58 verkeys or as did:key; the directory keys on base58. */
export function toVerkey(key: string): string {
  return key.startsWith('did:key:') ? DidKey.fromDid(key).key.publicKeyBase58 : key
}

export function verkeyToDidKey(verkey: string): string {
  return new DidKey(Key.fromPublicKeyBase58(verkey, KeyType.Ed25519)).did
}
