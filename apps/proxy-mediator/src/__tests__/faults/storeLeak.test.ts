import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import {
  type AgentContext,
  ConsoleLogger,
  DidRecord,
  type FileSystem,
  Key,
  KeyDerivationMethod,
  LogLevel,
  TypedArrayEncoder,
} from '@credo-ts/core'
import {
  PortableWallet,
  PortableWalletModuleConfig,
  SqliteStorageService,
  loadSodium,
} from '@proxy-mediator/portable-wallet'
import { WALLET_KEY, report, useProcessTopology } from './support/processTopology'

// The proxy's store after real traffic through the real runner: no private key bytes and no
// known message plaintext may be found in any of its files (the SQLite file and its -wal/-shm).
const MESSAGES = 20
const CANARY = `plaintext-canary-${Date.now().toString(36)}`

/** Every file under `dir`, concatenated. */
function readAllFiles(dir: string): { bytes: Buffer; files: string[] } {
  const files: string[] = []
  const walk = (path: string) => {
    for (const entry of readdirSync(path)) {
      const full = join(path, entry)
      if (statSync(full).isDirectory()) walk(full)
      else files.push(full)
    }
  }
  walk(dir)
  return { bytes: Buffer.concat(files.map((file) => readFileSync(file))), files }
}

/** Opens the stopped runner's wallet in this process and returns the secrets of every key it holds. */
async function proxySecrets(storageDir: string, routingKeyDid: string): Promise<Array<[string, Uint8Array]>> {
  const sodium = await loadSodium()
  const wallet = new PortableWallet(
    new PortableWalletModuleConfig({ storagePath: storageDir }),
    { dataPath: storageDir } as FileSystem,
    new ConsoleLogger(LogLevel.off),
  )
  // The runner's defaults: wallet id proxy-mediator, Argon2i-mod derivation of the wallet key.
  await wallet.open({ id: 'proxy-mediator', key: WALLET_KEY, keyDerivationMethod: KeyDerivationMethod.Argon2IMod })
  try {
    const context = { wallet } as unknown as AgentContext
    // biome-ignore lint/suspicious/noExplicitAny: the storage service is generic over records; DidRecord's metadata type is narrower.
    const didRecords = (await new SqliteStorageService<any>().getAll(context, DidRecord)) as DidRecord[]
    const verkeys = new Set<string>([Key.fromFingerprint(routingKeyDid.replace('did:key:', '')).publicKeyBase58])
    for (const record of didRecords) {
      for (const fingerprint of record.getTags().recipientKeyFingerprints ?? []) {
        verkeys.add(Key.fromFingerprint(fingerprint).publicKeyBase58)
      }
    }
    const secrets: Array<[string, Uint8Array]> = []
    for (const verkey of verkeys) {
      const material = wallet.openStore.privateKeys.find(verkey)
      if (!material) continue
      const label = `key ${verkey.slice(0, 8)}`
      // Copies: closing the wallet zeroes the material in memory.
      secrets.push([`${label} seed`, material.secretKey.slice(0, 32)])
      secrets.push([`${label} 64-byte secret key`, material.secretKey.slice()])
      secrets.push([`${label} x25519 secret key`, material.x25519SecretKey.slice()])
      secrets.push([`${label} seed base58`, Buffer.from(TypedArrayEncoder.toBase58(material.secretKey.slice(0, 32)))])
      secrets.push([`${label} seed base64`, Buffer.from(sodium.to_base64(material.secretKey.slice(0, 32)))])
    }
    return secrets
  } finally {
    await wallet.close()
  }
}

describe('fault: the store file leaks nothing', () => {
  const useTopology = useProcessTopology()

  it('holds no private key bytes and no known plaintext after real traffic', async () => {
    const topology = useTopology()
    const expected = await topology.stream(CANARY, MESSAGES)
    const delivered = await topology.waitForDelivery(expected, 90_000)
    expect(delivered.unique).toBe(MESSAGES)
    const { upstream, counters } = await topology.status()
    expect(counters.relayed).toBeGreaterThanOrEqual(MESSAGES)
    expect(upstream.proxyRoutingKey).toMatch(/^did:key:z6Mk/)

    // Graceful stop: the store is closed and its WAL checkpointed as in a real shutdown.
    expect(await topology.proxy.stop(15_000)).toEqual({ code: 0, signal: null })
    const { bytes, files } = readAllFiles(topology.proxyStorageDir)
    expect(files.some((file) => file.endsWith('.sqlite'))).toBe(true)
    expect(bytes.length).toBeGreaterThan(0)

    const secrets = await proxySecrets(topology.proxyStorageDir, upstream.proxyRoutingKey as string)
    // At least the routing key and the proxy's connection keys (to the mediator, to the agent).
    expect(secrets.length).toBeGreaterThanOrEqual(3 * 5)

    const forbidden: Array<[string, Uint8Array]> = [
      ...secrets,
      ['message plaintext', Buffer.from(CANARY)],
      ...expected.slice(0, 3).map((content): [string, Uint8Array] => [`message ${content}`, Buffer.from(content)]),
      ['wallet key', Buffer.from(WALLET_KEY)],
    ]
    const found = forbidden.filter(([, needle]) => bytes.includes(Buffer.from(needle))).map(([label]) => label)
    expect(found).toEqual([])
    report('store leak check', {
      files: files.map((file) => file.slice(topology.proxyStorageDir.length + 1)),
      bytesScanned: bytes.length,
      keysChecked: secrets.length / 5,
      needles: forbidden.length,
      found: found.length,
    })
  }, 240_000)
})
