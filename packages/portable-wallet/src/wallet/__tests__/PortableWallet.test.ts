import type { AgentContext } from '@credo-ts/core'

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {
  BasicMessageRecord,
  BasicMessageRole,
  Buffer,
  Key,
  KeyDerivationMethod,
  KeyType,
  TypedArrayEncoder,
  WalletDuplicateError,
  WalletError,
  WalletExportUnsupportedError,
  WalletInvalidKeyError,
  WalletKeyExistsError,
  WalletNotFoundError,
} from '@credo-ts/core'
import sodium from 'libsodium-wrappers-sumo'

import { makeTestWallet, rawWalletConfig } from '../../__tests__/helpers/testWallet'
import { SqliteStorageService } from '../../storage/SqliteStorageService'
import { WalletDatabase } from '../../storage/WalletDatabase'
import { walletFilePath } from '../walletFilePath'

const SECRET_CONTENT = 'the-launch-code-is-AX7-QUUX-9931'
const SEED = Buffer.from('portable-wallet-known-seed-00001') // 32 bytes

function containsBytes(haystack: Buffer, needle: Uint8Array): boolean {
  return haystack.indexOf(Buffer.from(needle)) !== -1
}

function readWalletFiles(filePath: string): Buffer {
  const parts = [filePath, `${filePath}-wal`, `${filePath}-shm`].filter((file) => fs.existsSync(file))
  return Buffer.concat(parts.map((file) => fs.readFileSync(file)))
}

describe('PortableWallet', () => {
  let tempDir: string

  beforeAll(async () => {
    await sodium.ready
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portable-wallet-'))
  })

  afterAll(() => {
    fs.rmSync(tempDir, { recursive: true, force: true })
  })

  describe('file wallet at rest', () => {
    const walletConfig = { id: 'at-rest', key: 'correct horse battery staple' }
    const storage = new SqliteStorageService<BasicMessageRecord>()

    test('no private key or record content is readable in the file', async () => {
      const wallet = makeTestWallet({ storagePath: tempDir })
      await wallet.createAndOpen(walletConfig)
      const key = await wallet.createKey({ keyType: KeyType.Ed25519, seed: SEED })
      const record = new BasicMessageRecord({
        id: 'record-id-visible?',
        connectionId: 'connection-id-tag-value',
        content: SECRET_CONTENT,
        sentTime: new Date().toISOString(),
        role: BasicMessageRole.Sender,
      })
      await storage.save({ wallet } as unknown as AgentContext, record)

      const { privateKey } = sodium.crypto_sign_seed_keypair(SEED)
      const forbidden: Array<[string, Uint8Array]> = [
        ['seed', SEED],
        ['64-byte secret key', privateKey],
        ['x25519 secret key', sodium.crypto_sign_ed25519_sk_to_curve25519(privateKey)],
        ['record content', Buffer.from(SECRET_CONTENT)],
        ['record id', Buffer.from('record-id-visible?')],
        ['tag value', Buffer.from('connection-id-tag-value')],
        ['record type', Buffer.from('BasicMessageRecord')],
        ['verkey', Buffer.from(key.publicKeyBase58)],
      ]

      const filePath = walletFilePath(tempDir, walletConfig.id)
      // While open, the data may sit in the -wal file; after close, in the main file.
      const whileOpen = readWalletFiles(filePath)
      await wallet.close()
      const afterClose = readWalletFiles(filePath)
      for (const bytes of [whileOpen, afterClose]) {
        expect(bytes.length).toBeGreaterThan(0)
        for (const [label, needle] of forbidden) {
          expect([label, containsBytes(bytes, needle)]).toEqual([label, false])
        }
      }

      // Reopened with the right key, everything is still there.
      await wallet.open(walletConfig)
      const loaded = await storage.getById({ wallet } as unknown as AgentContext, BasicMessageRecord, record.id)
      expect(loaded.content).toBe(SECRET_CONTENT)
      const signature = await wallet.sign({ data: Buffer.from('hi'), key })
      expect(sodium.crypto_sign_verify_detached(signature, Buffer.from('hi'), key.publicKey)).toBe(true)
      await wallet.close()
    })

    test('wrong key -> WalletInvalidKeyError, and the wallet stays closed', async () => {
      const wallet = makeTestWallet({ storagePath: tempDir })
      await expect(wallet.open({ ...walletConfig, key: 'wrong' })).rejects.toBeInstanceOf(WalletInvalidKeyError)
      expect(wallet.isInitialized).toBe(false)
      await wallet.open(walletConfig)
      expect(wallet.isInitialized).toBe(true)
      await wallet.close()
    })

    test('key derivation method mismatch -> WalletInvalidKeyError', async () => {
      const wallet = makeTestWallet({ storagePath: tempDir })
      const rawKey = await wallet.generateWalletKey()
      await expect(
        wallet.open({ id: walletConfig.id, key: rawKey, keyDerivationMethod: KeyDerivationMethod.Raw }),
      ).rejects.toBeInstanceOf(WalletInvalidKeyError)
    })

    test('missing wallet -> WalletNotFoundError; existing -> WalletDuplicateError', async () => {
      const wallet = makeTestWallet({ storagePath: tempDir })
      await expect(wallet.open({ id: 'does-not-exist', key: 'k' })).rejects.toBeInstanceOf(WalletNotFoundError)
      expect(fs.existsSync(walletFilePath(tempDir, 'does-not-exist'))).toBe(false)
      await expect(wallet.create(walletConfig)).rejects.toBeInstanceOf(WalletDuplicateError)
    })

    test('rotateKey re-wraps the data key: new key opens, old key does not', async () => {
      const wallet = makeTestWallet({ storagePath: tempDir })
      await wallet.rotateKey({ ...walletConfig, rekey: 'new passphrase' })
      expect(wallet.walletConfig?.key).toBe('new passphrase')
      await wallet.close()
      await expect(wallet.open(walletConfig)).rejects.toBeInstanceOf(WalletInvalidKeyError)
      await wallet.open({ ...walletConfig, key: 'new passphrase' })
      const loaded = await storage.getById(
        { wallet } as unknown as AgentContext,
        BasicMessageRecord,
        'record-id-visible?',
      )
      expect(loaded.content).toBe(SECRET_CONTENT)
      await wallet.close()
    })

    test('delete() removes the file', async () => {
      const wallet = makeTestWallet({ storagePath: tempDir })
      await wallet.open({ ...walletConfig, key: 'new passphrase' })
      const filePath = walletFilePath(tempDir, walletConfig.id)
      expect(fs.existsSync(filePath)).toBe(true)
      await wallet.delete()
      for (const file of [filePath, `${filePath}-wal`, `${filePath}-shm`]) expect(fs.existsSync(file)).toBe(false)
      expect(wallet.isInitialized).toBe(false)
      await expect(wallet.open(walletConfig)).rejects.toBeInstanceOf(WalletNotFoundError)
    })

    test('wallet ids are sanitized into distinct file names inside the storage path', () => {
      const a = walletFilePath(tempDir, '../escape/me')
      const b = walletFilePath(tempDir, '.._escape_me')
      expect(path.dirname(a)).toBe(tempDir)
      expect(a).not.toBe(b)
      expect(walletFilePath(tempDir, 'plain-id_1.x')).toBe(path.join(tempDir, 'plain-id_1.x.sqlite'))
    })
  })

  describe('keys and crypto', () => {
    const wallet = makeTestWallet()

    beforeAll(async () => {
      await wallet.createAndOpen(rawWalletConfig('crypto'))
    })

    afterAll(async () => {
      await wallet.delete()
    })

    test('createKey from seed or privateKey matches libsodium; random otherwise', async () => {
      const fromSeed = await wallet.createKey({ keyType: KeyType.Ed25519, seed: SEED })
      expect(fromSeed.publicKeyBase58).toBe(TypedArrayEncoder.toBase58(sodium.crypto_sign_seed_keypair(SEED).publicKey))
      const privateKey = Buffer.alloc(32, 9)
      const fromPrivateKey = await wallet.createKey({ keyType: KeyType.Ed25519, privateKey })
      expect(fromPrivateKey.publicKey).toEqual(Buffer.from(sodium.crypto_sign_seed_keypair(privateKey).publicKey))
      const random1 = await wallet.createKey({ keyType: KeyType.Ed25519 })
      const random2 = await wallet.createKey({ keyType: KeyType.Ed25519 })
      expect(random1.publicKeyBase58).not.toBe(random2.publicKeyBase58)
    })

    test('creating an existing key -> WalletKeyExistsError', async () => {
      await expect(wallet.createKey({ keyType: KeyType.Ed25519, seed: SEED })).rejects.toBeInstanceOf(
        WalletKeyExistsError,
      )
    })

    test('unsupported key types and bad seeds fail clearly', async () => {
      await expect(wallet.createKey({ keyType: KeyType.X25519 })).rejects.toThrow(
        'Key type x25519 is not supported by the portable wallet; only ed25519',
      )
      await expect(wallet.createKey({ keyType: KeyType.Ed25519, seed: Buffer.alloc(31) })).rejects.toThrow(WalletError)
      await expect(wallet.createKey({ keyType: KeyType.Ed25519, seed: SEED, privateKey: SEED })).rejects.toThrow(
        /Only one of seed and privateKey/,
      )
      expect(wallet.supportedKeyTypes).toEqual([KeyType.Ed25519])
    })

    test('sign interoperates with libsodium; verify rejects tampering', async () => {
      const key = await wallet.createKey({ keyType: KeyType.Ed25519 })
      const data = Buffer.from('message to sign ✍')
      const signature = await wallet.sign({ data, key })
      expect(signature.length).toBe(64)
      expect(sodium.crypto_sign_verify_detached(signature, data, key.publicKey)).toBe(true)
      expect(await wallet.verify({ data, key, signature })).toBe(true)
      expect(await wallet.verify({ data: Buffer.from('other'), key, signature })).toBe(false)
      expect(await wallet.verify({ data, key, signature: Buffer.from(signature.subarray(0, 10)) })).toBe(false)

      // A signature made outside the wallet verifies too.
      const outside = sodium.crypto_sign_seed_keypair(Buffer.alloc(32, 3))
      const external = Buffer.from(sodium.crypto_sign_detached(data, outside.privateKey))
      const outsideKey = Key.fromPublicKey(outside.publicKey, KeyType.Ed25519)
      expect(await wallet.verify({ data, key: outsideKey, signature: external })).toBe(true)

      await expect(wallet.sign({ data: [data, data], key })).rejects.toThrow(WalletError)
      await expect(wallet.sign({ data, key: outsideKey })).rejects.toThrow(/not in the wallet/)
    })

    test('unpack serves our key from memory after the first lookup', async () => {
      const key = await wallet.createKey({ keyType: KeyType.Ed25519 })
      const other = makeTestWallet()
      await other.createAndOpen(rawWalletConfig('other'))
      const otherKey = await other.createKey({ keyType: KeyType.Ed25519 })
      const envelope = await other.pack({ '@id': '12345678', '@type': 'x' }, [
        otherKey.publicKeyBase58,
        key.publicKeyBase58,
      ])

      // Start from a cold cache: close and reopen the wallet.
      const config = wallet.walletConfig!
      await wallet.close()
      await wallet.open(config)
      const getKey = jest.spyOn(WalletDatabase.prototype, 'getKey')
      try {
        for (let i = 0; i < 5; i++) {
          expect((await wallet.unpack(envelope)).recipientKey).toBe(key.publicKeyBase58)
        }
        // One lookup for the foreign kid (then remembered as not ours), one for ours.
        expect(getKey).toHaveBeenCalledTimes(2)
      } finally {
        getKey.mockRestore()
        await other.delete()
      }
    })

    test('nonce, wallet key and random values', async () => {
      const nonce = await wallet.generateNonce()
      expect(nonce).toMatch(/^\d+$/)
      expect(BigInt(nonce) < 2n ** 80n).toBe(true)
      const walletKey = await wallet.generateWalletKey()
      expect(TypedArrayEncoder.fromBase58(walletKey).length).toBe(32)
      expect(wallet.getRandomValues(17)).toHaveLength(17)
    })

    test('export and import fail clearly', async () => {
      await expect(wallet.export({ key: 'k', path: '/tmp/x' })).rejects.toBeInstanceOf(WalletExportUnsupportedError)
      await expect(wallet.import(rawWalletConfig('x'), { key: 'k', path: '/tmp/x' })).rejects.toBeInstanceOf(
        WalletExportUnsupportedError,
      )
    })

    test('lifecycle guards: double open, close when closed, in-memory reopen', async () => {
      const config = wallet.walletConfig!
      await expect(wallet.open(config)).rejects.toThrow(/already opened/)
      const memory = makeTestWallet()
      await expect(memory.close()).rejects.toThrow(WalletError)
      await memory.createAndOpen(rawWalletConfig('mem'))
      const key = await memory.createKey({ keyType: KeyType.Ed25519 })
      await memory.close()
      await memory.open(rawWalletConfig('mem'))
      expect(await memory.sign({ data: Buffer.from('x'), key })).toHaveLength(64)
      await memory.delete()
      await expect(memory.open(rawWalletConfig('mem'))).rejects.toBeInstanceOf(WalletNotFoundError)
    })
  })
})
