import { KeyDerivationMethod, TypedArrayEncoder, WalletInvalidKeyError } from '@credo-ts/core'

import { readySodium } from './sodium'

const WALLET_TYPE = { walletType: 'PortableWallet' }

/** What is stored next to the wrapped data key, so a wallet always opens with its own KDF settings. */
export interface KeyDerivationParams {
  method: 'argon2id' | 'raw'
  /** base64 of a random 16-byte salt (argon2id only) */
  salt?: string
  opsLimit?: number
  memLimit?: number
}

export interface Argon2Limits {
  opsLimit: number
  memLimit: number
}

export function newKeyDerivationParams(
  keyDerivationMethod: KeyDerivationMethod | undefined,
  argon2: Argon2Limits,
): KeyDerivationParams {
  if (keyDerivationMethod === KeyDerivationMethod.Raw) return { method: 'raw' }
  const sodium = readySodium()
  return {
    method: 'argon2id',
    salt: Buffer.from(sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES)).toString('base64'),
    opsLimit: argon2.opsLimit,
    memLimit: argon2.memLimit,
  }
}

/**
 * Turns the wallet key from `WalletConfig` into the key-encryption key.
 *
 * - `KeyDerivationMethod.Raw`: the key is base58 of 32 bytes (what `generateWalletKey` returns).
 * - Anything else (Credo's `Argon2IMod`/`Argon2IInt`): Argon2id via libsodium `crypto_pwhash`,
 *   with the limits recorded when the wallet was created.
 *
 * The method requested at open must match the one the wallet was created with; a mismatch is
 * reported as a wrong key, which is what it amounts to.
 */
export function deriveKeyEncryptionKey(
  walletKey: string,
  keyDerivationMethod: KeyDerivationMethod | undefined,
  params: KeyDerivationParams,
): Uint8Array {
  const requestedRaw = keyDerivationMethod === KeyDerivationMethod.Raw
  if (requestedRaw !== (params.method === 'raw')) {
    throw new WalletInvalidKeyError(
      `Invalid wallet key: the wallet was created with key derivation '${params.method}', not '${keyDerivationMethod ?? 'default'}'`,
      WALLET_TYPE,
    )
  }

  if (params.method === 'raw') {
    let raw: Uint8Array
    try {
      raw = TypedArrayEncoder.fromBase58(walletKey)
    } catch {
      throw new WalletInvalidKeyError(
        'Invalid raw wallet key: it must be base58 (use generateWalletKey())',
        WALLET_TYPE,
      )
    }
    if (raw.length !== 32)
      throw new WalletInvalidKeyError('Invalid raw wallet key: it must decode to 32 bytes', WALLET_TYPE)
    return new Uint8Array(raw)
  }

  const sodium = readySodium()
  if (!params.salt || !params.opsLimit || !params.memLimit) {
    throw new WalletInvalidKeyError('Wallet key derivation parameters are missing or corrupt', WALLET_TYPE)
  }
  return sodium.crypto_pwhash(
    32,
    walletKey,
    new Uint8Array(Buffer.from(params.salt, 'base64')),
    params.opsLimit,
    params.memLimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13,
  )
}
