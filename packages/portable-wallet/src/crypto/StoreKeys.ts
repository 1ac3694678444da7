import { secureRandom } from './secureRandom'
import { readySodium } from './sodium'

/**
 * The keys that protect a wallet's contents at rest, all derived from one random data key.
 *
 * The data key is random and only *wrapped* by the key derived from the user's wallet key, so
 * rotating the wallet key re-wraps 32 bytes instead of re-encrypting every row.
 *
 * - values (records, private keys) are sealed with XChaCha20-Poly1305 under their own subkeys,
 *   with the row's lookup MACs as associated data so a ciphertext can't be moved to another row;
 * - lookup fields (record type, record id, tag name/value pairs, key ids) are stored only as
 *   keyed BLAKE2b MACs, so equality queries still work in SQL without any plaintext in the file.
 */
export enum LookupDomain {
  Category = 1,
  RecordName = 2,
  Tag = 3,
  KeyId = 4,
}

const KDF_CONTEXT = 'PWallet1'
const SUBKEY_RECORD_VALUES = 1
const SUBKEY_PRIVATE_KEYS = 2
const SUBKEY_LOOKUP_MAC = 3
const LOOKUP_MAC_BYTES = 32

export class StoreKeys {
  private constructor(
    private readonly recordValueKey: Uint8Array,
    private readonly privateKeyKey: Uint8Array,
    private readonly lookupMacKey: Uint8Array,
  ) {}

  public static fromDataKey(dataKey: Uint8Array): StoreKeys {
    const sodium = readySodium()
    const derive = (id: number) => sodium.crypto_kdf_derive_from_key(32, id, KDF_CONTEXT, dataKey)
    return new StoreKeys(derive(SUBKEY_RECORD_VALUES), derive(SUBKEY_PRIVATE_KEYS), derive(SUBKEY_LOOKUP_MAC))
  }

  /** Deterministic keyed MAC of a lookup field; the domain byte keeps e.g. ids and types apart. */
  public lookupMac(domain: LookupDomain, text: string): Uint8Array {
    const sodium = readySodium()
    const textBytes = sodium.from_string(text)
    const input = new Uint8Array(textBytes.length + 1)
    input[0] = domain
    input.set(textBytes, 1)
    return sodium.crypto_generichash(LOOKUP_MAC_BYTES, input, this.lookupMacKey)
  }

  /** Tag name and value go into one MAC; JSON keeps the pair unambiguous ("a:b"+"c" vs "a"+"b:c"). */
  public tagMac(name: string, value: string): Uint8Array {
    return this.lookupMac(LookupDomain.Tag, JSON.stringify([name, value]))
  }

  public sealRecordValue(plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
    return seal(plaintext, associatedData, this.recordValueKey)
  }

  public openRecordValue(sealed: Uint8Array, associatedData: Uint8Array): Uint8Array {
    return open(sealed, associatedData, this.recordValueKey)
  }

  public sealPrivateKey(plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
    return seal(plaintext, associatedData, this.privateKeyKey)
  }

  public openPrivateKey(sealed: Uint8Array, associatedData: Uint8Array): Uint8Array {
    return open(sealed, associatedData, this.privateKeyKey)
  }

  /** Best effort: JS can't guarantee no copies, but the long-lived buffers are cleared. */
  public wipe(): void {
    const sodium = readySodium()
    sodium.memzero(this.recordValueKey)
    sodium.memzero(this.privateKeyKey)
    sodium.memzero(this.lookupMacKey)
  }
}

/** XChaCha20-Poly1305 with a random 24-byte nonce, stored as nonce || ciphertext+tag. */
export function seal(plaintext: Uint8Array, associatedData: Uint8Array | null, key: Uint8Array): Uint8Array {
  const sodium = readySodium()
  const nonce = secureRandom(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData, null, nonce, key)
  const sealed = new Uint8Array(nonce.length + ciphertext.length)
  sealed.set(nonce)
  sealed.set(ciphertext, nonce.length)
  return sealed
}

/** Throws if the key is wrong or the data was altered (Poly1305 tag mismatch). */
export function open(sealed: Uint8Array, associatedData: Uint8Array | null, key: Uint8Array): Uint8Array {
  const sodium = readySodium()
  const nonceBytes = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
  return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
    null,
    sealed.subarray(nonceBytes),
    associatedData,
    sealed.subarray(0, nonceBytes),
    key,
  )
}
