import type { BasicMessageStateChangedEvent, ConnectionRecord } from '@credo-ts/core'

import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {
  Agent,
  BasicMessageEventTypes,
  BasicMessageRole,
  ConnectionsModule,
  DidExchangeState,
  HttpOutboundTransport,
  WalletInvalidKeyError,
} from '@credo-ts/core'
import { HttpInboundTransport, agentDependencies } from '@credo-ts/node'

import { PortableWalletModule, walletFilePath } from '../index'

/** Cheap Argon2 so the test spends its time on DIDComm, not key stretching. */
const FAST_ARGON2 = { opsLimit: 1, memLimit: 8192 }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function makeAgent(label: string, port: number, key: string, storagePath: string) {
  const agent = new Agent({
    config: {
      label,
      walletConfig: { id: label, key },
      endpoints: [`http://127.0.0.1:${port}`],
    },
    modules: {
      portableWallet: new PortableWalletModule({ storagePath, argon2: FAST_ARGON2 }),
      connections: new ConnectionsModule({ autoAcceptConnections: true }),
    },
    dependencies: agentDependencies,
  })
  agent.registerInboundTransport(new HttpInboundTransport({ port }))
  agent.registerOutboundTransport(new HttpOutboundTransport())
  return agent
}

function nextBasicMessage(agent: Agent, content: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      agent.events.off(BasicMessageEventTypes.BasicMessageStateChanged, listener)
      reject(new Error(`Timed out waiting for basic message '${content}' at ${agent.config.label}`))
    }, timeoutMs)
    const listener = (event: BasicMessageStateChangedEvent) => {
      const { basicMessageRecord, message } = event.payload
      if (basicMessageRecord.role === BasicMessageRole.Receiver && message.content === content) {
        clearTimeout(timer)
        agent.events.off(BasicMessageEventTypes.BasicMessageStateChanged, listener)
        resolve()
      }
    }
    agent.events.on(BasicMessageEventTypes.BasicMessageStateChanged, listener)
  })
}

async function waitForConnectionByOutOfBand(agent: Agent, outOfBandId: string): Promise<ConnectionRecord> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const [connection] = await agent.connections.findAllByOutOfBandId(outOfBandId)
    if (connection) return agent.connections.returnWhenIsConnected(connection.id, { timeoutMs: 20_000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('No connection for the invitation appeared')
}

describe('two Credo agents over HTTP with the portable wallet', () => {
  let tempDir: string
  const agents: Agent[] = []

  beforeAll(() => {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portable-wallet-agents-'))
  })

  afterAll(async () => {
    for (const agent of agents) {
      if (agent.isInitialized) await agent.shutdown().catch(() => undefined)
    }
    fs.rmSync(tempDir, { recursive: true, force: true })
  })

  test('connect, exchange messages, restart from the SQLite file, refuse a wrong key', async () => {
    const [alicePort, bobPort] = [await freePort(), await freePort()]
    const aliceKey = 'alice wallet passphrase'
    const bobKey = 'bob wallet passphrase'

    const alice = makeAgent('alice', alicePort, aliceKey, tempDir)
    const bob = makeAgent('bob', bobPort, bobKey, tempDir)
    agents.push(alice, bob)
    await alice.initialize()
    await bob.initialize()

    const outOfBandRecord = await alice.oob.createInvitation({ autoAcceptConnection: true })
    const { connectionRecord } = await bob.oob.receiveInvitationFromUrl(
      outOfBandRecord.outOfBandInvitation.toUrl({ domain: 'https://example.invalid' }),
      { autoAcceptConnection: true },
    )
    const bobConnection = await bob.connections.returnWhenIsConnected(connectionRecord!.id, { timeoutMs: 20_000 })
    const aliceConnection = await waitForConnectionByOutOfBand(alice, outOfBandRecord.id)
    expect(bobConnection.state).toBe(DidExchangeState.Completed)
    expect(aliceConnection.state).toBe(DidExchangeState.Completed)

    const toBob = nextBasicMessage(bob, 'hello bob 👋 Привет')
    await alice.basicMessages.sendMessage(aliceConnection.id, 'hello bob 👋 Привет')
    await toBob

    const toAlice = nextBasicMessage(alice, 'hello alice 你好')
    await bob.basicMessages.sendMessage(bobConnection.id, 'hello alice 你好')
    await toAlice

    // Restart bob from his SQLite file.
    await bob.shutdown()
    expect(fs.existsSync(walletFilePath(tempDir, 'bob'))).toBe(true)
    const bobAgain = makeAgent('bob', bobPort, bobKey, tempDir)
    agents.push(bobAgain)
    await bobAgain.initialize()

    const connections = await bobAgain.connections.getAll()
    expect(connections.map((c) => c.id)).toEqual([bobConnection.id])
    expect(connections[0].state).toBe(DidExchangeState.Completed)

    const afterRestartToAlice = nextBasicMessage(alice, 'bob is back')
    await bobAgain.basicMessages.sendMessage(bobConnection.id, 'bob is back')
    await afterRestartToAlice

    const afterRestartToBob = nextBasicMessage(bobAgain, 'welcome back')
    await alice.basicMessages.sendMessage(aliceConnection.id, 'welcome back')
    await afterRestartToBob

    // The same file with the wrong key must not open.
    await bobAgain.shutdown()
    const bobWrongKey = makeAgent('bob', bobPort, 'not bob key', tempDir)
    await expect(bobWrongKey.initialize()).rejects.toBeInstanceOf(WalletInvalidKeyError)
  })
})
