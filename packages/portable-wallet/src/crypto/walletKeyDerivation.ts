import { Worker } from 'node:worker_threads'

import { KeyDerivationMethod, TypedArrayEncoder, WalletInvalidKeyError } from '@credo-ts/core'

import { secureRandom } from './secureRandom'
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
    salt: Buffer.from(secureRandom(sodium.crypto_pwhash_SALTBYTES)).toString('base64'),
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
export async function deriveKeyEncryptionKey(
  walletKey: string,
  keyDerivationMethod: KeyDerivationMethod | undefined,
  params: KeyDerivationParams,
): Promise<Uint8Array> {
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

  if (!params.salt || !params.opsLimit || !params.memLimit) {
    throw new WalletInvalidKeyError('Wallet key derivation parameters are missing or corrupt', WALLET_TYPE)
  }
  return argon2idInWorker({
    password: walletKey,
    salt: new Uint8Array(Buffer.from(params.salt, 'base64')),
    opsLimit: params.opsLimit,
    memLimit: params.memLimit,
  })
}

/**
 * The worker's code: libsodium's `crypto_pwhash` (Argon2id), exactly as the wallet called it
 * before it moved here. It is a string, not a file, so that it runs the same from the build and
 * from the sources (tests); libsodium is required by the path the wallet resolved.
 */
const ARGON2_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const sodium = require(workerData.sodiumPath)
sodium.ready
  .then(() => {
    const { password, salt, opsLimit, memLimit } = workerData
    parentPort.postMessage({ key: sodium.crypto_pwhash(32, password, salt, opsLimit, memLimit, sodium.crypto_pwhash_ALG_ARGON2ID13) })
  })
  .catch((error) => parentPort.postMessage({ error: String((error && error.message) || error) }))
`

/**
 * Argon2id takes \`memLimit\` bytes (64 MiB by default) of libsodium's WebAssembly memory, which
 * grows but never shrinks: run in the wallet's own libsodium, those pages stayed resident for
 * the life of the process, about a quarter of the proxy's idle RSS. So the derivation runs in a
 * worker thread with a libsodium of its own, whose memory is freed when the worker exits. It
 * costs the worker's start (tens of ms) once per open, create or rotation.
 */
function argon2idInWorker(input: { password: string; salt: Uint8Array; opsLimit: number; memLimit: number }) {
  return new Promise<Uint8Array>((resolve, reject) => {
    const worker = new Worker(ARGON2_WORKER, {
      eval: true,
      workerData: { ...input, sodiumPath: require.resolve('libsodium-wrappers-sumo') },
    })
    worker.once('message', (result: { key?: Uint8Array; error?: string }) => {
      if (result.key) resolve(result.key)
      else reject(new Error(`Argon2id key derivation failed: ${result.error}`))
    })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`The Argon2id worker exited with status ${code}`)))
  })
}
