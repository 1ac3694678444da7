import type {
  EncryptedMessage,
  FileSystem,
  Logger,
  UnpackedMessageContext,
  Wallet,
  WalletConfig,
  WalletConfigRekey,
  WalletCreateKeyOptions,
  WalletExportImportConfig,
  WalletSignOptions,
  WalletVerifyOptions,
} from '@credo-ts/core'
import type { KeyDerivationParams } from '../crypto/walletKeyDerivation'

import fs from 'node:fs'
import path from 'node:path'

import {
  Buffer,
  InjectionSymbols,
  Key,
  KeyBackend,
  KeyType,
  TypedArrayEncoder,
  WalletDuplicateError,
  WalletError,
  WalletExportUnsupportedError,
  WalletInvalidKeyError,
  WalletNotFoundError,
  inject,
  injectable,
} from '@credo-ts/core'

import { PortableWalletModuleConfig } from '../PortableWalletModuleConfig'
import { PeerKeyCache } from '../crypto/PeerKeyCache'
import { StoreKeys, open, seal } from '../crypto/StoreKeys'
import { packDidcommV1, unpackDidcommV1 } from '../crypto/didcommV1Envelope'
import { secureRandom } from '../crypto/secureRandom'
import { loadSodium, readySodium } from '../crypto/sodium'
import { deriveKeyEncryptionKey, newKeyDerivationParams } from '../crypto/walletKeyDerivation'
import { WalletDatabase } from '../storage/WalletDatabase'
import { PrivateKeyStore } from './PrivateKeyStore'
import { walletFilePath, walletSidecarFiles } from './walletFilePath'

/** Keys in `wallet_meta`. */
const META_FORMAT = 'format'
const META_KDF = 'kdf'
const META_WRAPPED_DATA_KEY = 'wrapped_data_key'
const FORMAT_VERSION = 'portable-wallet/1'
/** Associated data for the wrapped data key, so no other ciphertext in the file can stand in for it. */
const DATA_KEY_AAD = new TextEncoder().encode('portable-wallet data key v1')

/** What an open wallet holds; `SqliteStorageService` reads the database and keys from here. */
export interface OpenPortableStore {
  database: WalletDatabase
  keys: StoreKeys
  privateKeys: PrivateKeyStore
}

/**
 * A Credo 0.5 `Wallet` with no native downloads: libsodium (WebAssembly) for the crypto and one
 * SQLite file per wallet for keys and records, everything in it encrypted under the wallet key.
 * Supports Ed25519 keys, which is all DIDComm v1 needs.
 */
@injectable()
export class PortableWallet implements Wallet {
  public readonly supportedKeyTypes = [KeyType.Ed25519]

  private store?: OpenPortableStore
  private dataKey?: Uint8Array
  private currentWalletConfig?: WalletConfig
  /** Peers' X25519 keys and the box keys shared with them; wiped on close. */
  private readonly peerKeys = new PeerKeyCache()
  /** In-memory wallets outlive close() (as a file would), until delete() or the instance goes. */
  private readonly memoryDatabases = new Map<string, WalletDatabase>()

  public constructor(
    @inject(PortableWalletModuleConfig) private readonly config: PortableWalletModuleConfig,
    @inject(InjectionSymbols.FileSystem) private readonly fileSystem: FileSystem,
    @inject(InjectionSymbols.Logger) private readonly logger: Logger,
  ) {}

  public get isInitialized(): boolean {
    return this.store !== undefined
  }

  public get isProvisioned(): boolean {
    return this.currentWalletConfig !== undefined
  }

  public get walletConfig(): WalletConfig | undefined {
    return this.currentWalletConfig
  }

  /** The open database and keys. Throws if the wallet is closed. */
  public get openStore(): OpenPortableStore {
    if (!this.store) {
      throw new WalletError('The portable wallet is not open. Initialize the agent (or open the wallet) first.')
    }
    return this.store
  }

  /** Where this wallet's file lives (undefined for in-memory wallets). */
  public filePathFor(walletId: string): string | undefined {
    if (this.config.inMemory) return undefined
    const storagePath = this.config.storagePath ?? path.join(this.fileSystem.dataPath, 'portable-wallet')
    return walletFilePath(storagePath, walletId)
  }

  public async create(walletConfig: WalletConfig): Promise<void> {
    await this.createAndOpen(walletConfig)
    await this.close()
  }

  public async createAndOpen(walletConfig: WalletConfig): Promise<void> {
    await loadSodium()
    this.assertClosed()
    const sodium = readySodium()
    const database = this.createDatabase(walletConfig.id)

    try {
      const dataKey = secureRandom(32)
      const kdf = newKeyDerivationParams(walletConfig.keyDerivationMethod, this.config.argon2)
      const keyEncryptionKey = await deriveKeyEncryptionKey(walletConfig.key, walletConfig.keyDerivationMethod, kdf)
      database.transaction(() => {
        database.setMeta(META_FORMAT, FORMAT_VERSION)
        database.setMeta(META_KDF, JSON.stringify(kdf))
        database.setMeta(META_WRAPPED_DATA_KEY, toBase64(seal(dataKey, DATA_KEY_AAD, keyEncryptionKey)))
      })
      sodium.memzero(keyEncryptionKey)
      this.attach(walletConfig, database, dataKey)
    } catch (error) {
      // Don't leave a half-created wallet behind: the next start would find it and fail to open.
      await this.discardDatabase(walletConfig.id, database)
      if (error instanceof WalletError) throw error
      throw new WalletError(`Error creating wallet '${walletConfig.id}'`, { cause: error as Error })
    }
    this.logger.debug(`Created portable wallet '${walletConfig.id}'`)
  }

  public async open(walletConfig: WalletConfig): Promise<void> {
    await loadSodium()
    this.assertClosed()
    const database = this.openDatabase(walletConfig.id)
    try {
      const dataKey = await this.unwrapDataKey(database, walletConfig.key, walletConfig.keyDerivationMethod)
      this.attach(walletConfig, database, dataKey)
    } catch (error) {
      if (!this.config.inMemory) database.close()
      throw error
    }
  }

  public async rotateKey(walletConfig: WalletConfigRekey): Promise<void> {
    if (!walletConfig.rekey) throw new WalletError('Wallet rekey undefined! Please specify the new wallet key')
    await this.open({
      id: walletConfig.id,
      key: walletConfig.key,
      keyDerivationMethod: walletConfig.keyDerivationMethod,
    })
    const { database } = this.openStore
    const kdf = newKeyDerivationParams(walletConfig.rekeyDerivationMethod, this.config.argon2)
    const keyEncryptionKey = await deriveKeyEncryptionKey(walletConfig.rekey, walletConfig.rekeyDerivationMethod, kdf)
    const wrapped = toBase64(seal(this.dataKey!, DATA_KEY_AAD, keyEncryptionKey))
    readySodium().memzero(keyEncryptionKey)
    // One transaction: a crash leaves either the old or the new key working, never neither.
    database.transaction(() => {
      database.setMeta(META_KDF, JSON.stringify(kdf))
      database.setMeta(META_WRAPPED_DATA_KEY, wrapped)
    })
    this.currentWalletConfig = {
      id: walletConfig.id,
      key: walletConfig.rekey,
      keyDerivationMethod: walletConfig.rekeyDerivationMethod,
    }
  }

  public async close(): Promise<void> {
    if (!this.store) {
      throw new WalletError('Wallet is in invalid state, you are trying to close wallet that has no handle.')
    }
    const { database, keys, privateKeys } = this.store
    this.store = undefined
    privateKeys.clear()
    keys.wipe()
    if (this.dataKey) readySodium().memzero(this.dataKey)
    this.dataKey = undefined
    this.peerKeys.clear()
    if (!this.config.inMemory) database.close()
  }

  public async delete(): Promise<void> {
    const walletConfig = this.currentWalletConfig
    if (!walletConfig) {
      throw new WalletError(
        'Can not delete wallet that does not have wallet config set. Make sure to call create wallet before deleting the wallet',
      )
    }
    if (this.store) await this.close()
    const database = this.memoryDatabases.get(walletConfig.id)
    await this.discardDatabase(walletConfig.id, database)
    this.currentWalletConfig = undefined
  }

  public async export(_exportConfig: WalletExportImportConfig): Promise<void> {
    throw new WalletExportUnsupportedError(
      'Export is not supported by the portable wallet. Copy the closed wallet file (<storagePath>/<walletId>.sqlite) instead; it is encrypted under the wallet key.',
    )
  }

  public async import(_walletConfig: WalletConfig, _importConfig: WalletExportImportConfig): Promise<void> {
    throw new WalletExportUnsupportedError(
      'Import is not supported by the portable wallet. Place a copied wallet file in the storage path instead.',
    )
  }

  public async dispose(): Promise<void> {
    if (this.isInitialized) await this.close()
  }

  public async createKey({ keyType, seed, privateKey, keyBackend }: WalletCreateKeyOptions): Promise<Key> {
    const { privateKeys } = this.openStore
    if (keyBackend && keyBackend !== KeyBackend.Software) {
      throw new WalletError(`Key backend ${keyBackend} is not supported by the portable wallet; only Software`)
    }
    if (keyType !== KeyType.Ed25519) {
      throw new WalletError(`Key type ${keyType} is not supported by the portable wallet; only ed25519`)
    }
    if (seed && privateKey) throw new WalletError('Only one of seed and privateKey can be set')
    // For Ed25519 a "seed" and a "private key" are the same 32 bytes.
    const material = privateKeys.createEd25519(seed ?? privateKey)
    return Key.fromPublicKey(material.publicKey, KeyType.Ed25519)
  }

  public async sign({ data, key }: WalletSignOptions): Promise<Buffer> {
    const { privateKeys } = this.openStore
    assertEd25519(key)
    const message = singleMessage(data)
    const material = privateKeys.find(key.publicKeyBase58)
    if (!material) throw new WalletError(`Unable to sign: key ${key.publicKeyBase58} is not in the wallet`)
    return Buffer.from(readySodium().crypto_sign_detached(message, material.secretKey))
  }

  public async verify({ data, key, signature }: WalletVerifyOptions): Promise<boolean> {
    const sodium = await loadSodium()
    assertEd25519(key)
    const message = singleMessage(data)
    if (signature.length !== sodium.crypto_sign_BYTES) return false
    return sodium.crypto_sign_verify_detached(signature, message, key.publicKey)
  }

  public async pack(
    payload: Record<string, unknown>,
    recipientKeys: string[],
    senderVerkey?: string,
  ): Promise<EncryptedMessage> {
    const { privateKeys } = this.openStore
    let sender: ReturnType<PrivateKeyStore['find']>
    if (senderVerkey) {
      sender = privateKeys.find(senderVerkey)
      if (!sender) throw new WalletError(`Unable to pack message: sender key ${senderVerkey} is not in the wallet`)
    }
    return packDidcommV1(payload, recipientKeys, this.peerKeys.x25519PublicKey, sender, this.peerKeys.sharedKey)
  }

  public async unpack(encryptedMessage: EncryptedMessage): Promise<UnpackedMessageContext> {
    const { privateKeys } = this.openStore
    return unpackDidcommV1(encryptedMessage, privateKeys.find, this.peerKeys.x25519PublicKey, this.peerKeys.sharedKey)
  }

  /** Decimal string of 80 random bits, like Askar's: the form AnonCreds proof nonces take. */
  public async generateNonce(): Promise<string> {
    return BigInt(`0x${Buffer.from(secureRandom(10)).toString('hex')}`).toString()
  }

  public getRandomValues(length: number): Uint8Array {
    return secureRandom(length)
  }

  /** A key for `KeyDerivationMethod.Raw`: base58 of 32 random bytes. */
  public async generateWalletKey(): Promise<string> {
    return TypedArrayEncoder.toBase58(secureRandom(32))
  }

  private attach(walletConfig: WalletConfig, database: WalletDatabase, dataKey: Uint8Array): void {
    const keys = StoreKeys.fromDataKey(dataKey)
    this.store = { database, keys, privateKeys: new PrivateKeyStore(database, keys) }
    this.dataKey = dataKey
    this.currentWalletConfig = walletConfig
  }

  private async unwrapDataKey(
    database: WalletDatabase,
    walletKey: string,
    keyDerivationMethod: WalletConfig['keyDerivationMethod'],
  ): Promise<Uint8Array> {
    const format = database.getMeta(META_FORMAT)
    const kdfJson = database.getMeta(META_KDF)
    const wrapped = database.getMeta(META_WRAPPED_DATA_KEY)
    if (format !== FORMAT_VERSION || !kdfJson || !wrapped) {
      throw new WalletError(`Not a portable wallet file, or an unsupported version (format: ${format ?? 'none'})`)
    }
    const kdf = JSON.parse(kdfJson) as KeyDerivationParams
    const keyEncryptionKey = await deriveKeyEncryptionKey(walletKey, keyDerivationMethod, kdf)
    try {
      return open(fromBase64(wrapped), DATA_KEY_AAD, keyEncryptionKey)
    } catch (error) {
      // The AEAD tag fails for any other key, so this is a reliable wrong-key check.
      throw new WalletInvalidKeyError('Incorrect key for wallet', {
        walletType: 'PortableWallet',
        cause: error as Error,
      })
    } finally {
      readySodium().memzero(keyEncryptionKey)
    }
  }

  private createDatabase(walletId: string): WalletDatabase {
    const filePath = this.filePathFor(walletId)
    if (!filePath) {
      if (this.memoryDatabases.has(walletId))
        throw new WalletDuplicateError(`Wallet '${walletId}' already exists`, { walletType: 'PortableWallet' })
      const database = new WalletDatabase(':memory:', false)
      this.memoryDatabases.set(walletId, database)
      return database
    }
    if (fs.existsSync(filePath)) {
      throw new WalletDuplicateError(`Wallet '${walletId}' already exists`, { walletType: 'PortableWallet' })
    }
    fs.mkdirSync(path.dirname(filePath), { recursive: true })
    return new WalletDatabase(filePath, false)
  }

  private openDatabase(walletId: string): WalletDatabase {
    const filePath = this.filePathFor(walletId)
    const database = filePath ? undefined : this.memoryDatabases.get(walletId)
    if (!filePath) {
      if (!database) throw new WalletNotFoundError(`Wallet '${walletId}' not found`, { walletType: 'PortableWallet' })
      return database
    }
    if (!fs.existsSync(filePath)) {
      throw new WalletNotFoundError(`Wallet '${walletId}' not found`, { walletType: 'PortableWallet' })
    }
    try {
      return new WalletDatabase(filePath, true)
    } catch (error) {
      throw new WalletError(`Could not open wallet file ${filePath}`, { cause: error as Error })
    }
  }

  private async discardDatabase(walletId: string, database: WalletDatabase | undefined): Promise<void> {
    if (database?.isOpen) database.close()
    this.memoryDatabases.delete(walletId)
    const filePath = this.filePathFor(walletId)
    if (!filePath) return
    for (const file of [filePath, ...walletSidecarFiles(filePath)]) {
      fs.rmSync(file, { force: true })
    }
  }

  private assertClosed(): void {
    if (this.store) {
      throw new WalletError(
        'Wallet instance already opened. Close the currently opened wallet before re-opening the wallet',
      )
    }
  }
}

function assertEd25519(key: Key): void {
  if (key.keyType !== KeyType.Ed25519) {
    throw new WalletError(`Key type ${key.keyType} is not supported by the portable wallet; only ed25519`)
  }
}

function singleMessage(data: Buffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) {
    throw new WalletError('Signing or verifying multiple messages is only supported for BBS+ keys, not ed25519')
  }
  return data
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64')
}

function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'))
}
