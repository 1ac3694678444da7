/**
 * `yarn bench --wallet`: the portable wallet's unpack and pack against raw libsodium doing the
 * same work, in one process, with no network. Run by bench.ts as
 * `node --expose-gc --max-semi-space-size=64 bench/build/walletBench.js`, so that a measured
 * window of a few hundred calls fits in the young generation: the JS heap growth over the window,
 * with no GC in it, is the bytes allocated per call.
 */
import { PerformanceObserver } from 'node:perf_hooks'
import {
  ConsoleLogger,
  type EncryptedMessage,
  type FileSystem,
  KeyDerivationMethod,
  KeyType,
  LogLevel,
} from '@credo-ts/core'
import { PortableWallet, PortableWalletModuleConfig } from '@proxy-mediator/portable-wallet'
import sodium from 'libsodium-wrappers-sumo'
import { anonDecrypt, authDecrypt, generateBoxKeyPair, readySodium } from './envelope'
import { generateForwards } from './forwards'

const POOL = 200

interface Row {
  name: string
  /** CPU µs per call, the least of 7 rounds of 1,000. */
  usPerCall: number
  /** JS heap bytes allocated per call (heapUsed growth over a window with no GC). */
  heapBytesPerCall: number
  /** Growth of ArrayBuffer backing stores (Buffers, Uint8Arrays) per call. */
  arrayBufferBytesPerCall: number
  gcInWindow: number
}

declare const gc: () => void

let gcCount = 0
new PerformanceObserver((list) => {
  gcCount += list.getEntries().length
}).observe({ entryTypes: ['gc'] })

interface Case {
  name: string
  call: (index: number) => unknown
}

const ROUNDS = 7
const CALLS_PER_ROUND = 1000

/**
 * The cases take turns, round after round, so that a burst of load from other processes hits
 * them alike; the least CPU time of the rounds is the figure (contention only ever adds).
 */
async function measureAll(cases: Case[]): Promise<Row[]> {
  for (const { call } of cases) for (let index = 0; index < 2000; index++) await call(index)
  const rounds = cases.map((): number[] => [])
  for (let round = 0; round < ROUNDS; round++) {
    for (const [n, { call }] of cases.entries()) {
      const started = process.cpuUsage()
      for (let index = 0; index < CALLS_PER_ROUND; index++) await call(index)
      const spent = process.cpuUsage(started)
      rounds[n].push((spent.user + spent.system) / CALLS_PER_ROUND)
    }
  }
  const rows: Row[] = []
  for (const [n, { name, call }] of cases.entries()) {
    rows.push({ name, usPerCall: Math.min(...rounds[n]), ...(await allocation(call)) })
  }
  return rows
}

/** A GC first, then few enough calls that the young generation holds what they allocate. */
async function allocation(call: (index: number) => unknown) {
  const calls = 300
  gc()
  // GC entries reach the observer late: let those of earlier calls and of gc() arrive first.
  await new Promise((resolve) => setTimeout(resolve, 100))
  const gcBefore = gcCount
  const before = process.memoryUsage()
  for (let index = 0; index < calls; index++) await call(index)
  const after = process.memoryUsage()
  await new Promise((resolve) => setTimeout(resolve, 100))
  return {
    heapBytesPerCall: (after.heapUsed - before.heapUsed) / calls,
    arrayBufferBytesPerCall: (after.arrayBuffers - before.arrayBuffers) / calls,
    gcInWindow: gcCount - gcBefore,
  }
}

async function openWallet(id: string): Promise<PortableWallet> {
  const wallet = new PortableWallet(
    new PortableWalletModuleConfig({ inMemory: true }),
    { dataPath: '/nonexistent' } as FileSystem,
    new ConsoleLogger(LogLevel.off),
  )
  await wallet.createAndOpen({
    id,
    key: await wallet.generateWalletKey(),
    keyDerivationMethod: KeyDerivationMethod.Raw,
  })
  return wallet
}

async function main() {
  await readySodium()
  const proxy = await openWallet('bench-proxy')
  const mediator = await openWallet('bench-mediator')
  const routingKey = (await proxy.createKey({ keyType: KeyType.Ed25519 })).publicKeyBase58
  const proxyConnKey = (await proxy.createKey({ keyType: KeyType.Ed25519 })).publicKeyBase58
  const mediatorConnKey = (await mediator.createKey({ keyType: KeyType.Ed25519 })).publicKeyBase58
  const agentKey = generateBoxKeyPair()
  const floorKey = generateBoxKeyPair()

  const forwards = generateForwards({
    count: POOL * 10,
    runTag: 5,
    agentVerkey: agentKey.verkey,
    proxyRoutingVerkey: routingKey,
    floorKey,
  })
  // Pickup deliveries of 10 forwards each, authcrypted by the mediator to the proxy, as Credo sends them.
  const deliveries: EncryptedMessage[] = []
  for (let index = 0; index < POOL; index++) {
    const attachments = forwards.toProxy
      .slice(index * 10, index * 10 + 10)
      .map((envelope, n) => ({ '@id': `m-${index}-${n}`, data: { json: envelope } }))
    deliveries.push(
      await mediator.pack(
        { '@type': 'https://didcomm.org/messagepickup/2.0/delivery', '@id': `d-${index}`, '~attach': attachments },
        [proxyConnKey],
        mediatorConnKey,
      ),
    )
  }
  // The floor's own key for a raw authcrypt unpack of the same deliveries: the mediator packs them again to it.
  const floorDeliveries: EncryptedMessage[] = []
  const floorWallet = await openWallet('bench-floor')
  const floorSenderKey = (await floorWallet.createKey({ keyType: KeyType.Ed25519 })).publicKeyBase58
  for (let index = 0; index < POOL; index++) {
    const plaintext = (await proxy.unpack(deliveries[index])).plaintextMessage
    floorDeliveries.push(await floorWallet.pack(plaintext, [floorKey.verkey], floorSenderKey))
  }
  const ids = Array.from({ length: 100 }, (_, n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`)
  const ack = {
    '@type': 'https://didcomm.org/messagepickup/2.0/messages-received',
    '@id': 'ack',
    message_id_list: ids,
    '~transport': { return_route: 'all' },
  }

  const floorSharedKeys = new Map<string, Uint8Array>()
  const at = (pool: unknown[], index: number) => pool[index % pool.length]
  const x = generateBoxKeyPair()
  const rows = await measureAll([
    {
      name: 'floor: forward, raw anoncrypt unpack + JSON.parse',
      call: (index) => JSON.parse(anonDecrypt(at(forwards.toFloor, index) as EncryptedMessage, floorKey)),
    },
    {
      name: 'wallet.unpack: forward (anoncrypt)',
      call: (index) => proxy.unpack(at(forwards.toProxy, index) as EncryptedMessage),
    },
    {
      name: 'floor: delivery of 10, raw authcrypt unpack + JSON.parse',
      call: (index) =>
        JSON.parse(authDecrypt(at(floorDeliveries, index) as EncryptedMessage, floorKey, floorSharedKeys)),
    },
    {
      name: 'wallet.unpack: delivery of 10 (authcrypt)',
      call: (index) => proxy.unpack(at(deliveries, index) as EncryptedMessage),
    },
    {
      name: 'wallet.pack: messages-received of 100 ids (authcrypt)',
      call: () => proxy.pack(ack, [mediatorConnKey], proxyConnKey),
    },
    {
      name: 'libsodium crypto_scalarmult (the unit of X25519 cost)',
      call: () => sodium.crypto_scalarmult(x.x25519SecretKey, floorKey.x25519PublicKey),
    },
  ])

  process.stdout.write(
    `${[
      '| call | CPU µs/call | JS heap B/call | ArrayBuffer B/call | GCs in the allocation window |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map(
        (row) =>
          `| ${row.name} | ${row.usPerCall.toFixed(1)} | ${row.heapBytesPerCall.toFixed(0)} | ${row.arrayBufferBytesPerCall.toFixed(0)} | ${row.gcInWindow} |`,
      ),
    ].join('\n')}\n`,
  )
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows)}\n`)
  await proxy.close()
  await mediator.close()
  await floorWallet.close()
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`wallet bench failed: ${(error as Error).stack ?? error}\n`)
    process.exit(1)
  },
)
