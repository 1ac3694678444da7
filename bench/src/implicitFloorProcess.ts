import { randomUUID } from 'node:crypto'
import { RelayHttpClient } from '@proxy-mediator/proxy-mediator'
import WebSocket from 'ws'
import { type FloorConnectionConfig, floorKeysOf } from './floorKeys'
import { type Envelope, anonDecrypt, authEncrypt, readySodium } from './envelope'

/**
 * The implicit pickup floor, in its own process as the runner is: the least a client must do to
 * drain an ACA-Py mediator's queue, with no Credo code and none of the module's. ACA-Py has no pickup
 * protocol: it writes to an open session whose last message asked for `return_route: all`, and lets
 * one queued message out per message that comes in. So the floor sends a return-route trust ping that
 * wants no answer when it connects and for every message it takes, opens each forward with the
 * decrypt floor's unpack, and POSTs the inner envelope with the module's HTTP client. No storage: a
 * message ACA-Py wrote counts as delivered, and the floor keeps nothing.
 */
export type ImplicitFloorConfig = FloorConnectionConfig

export type ImplicitFloorReport = { type: 'ready' } | { type: 'failed'; reason: string }

async function main(config: ImplicitFloorConfig) {
  await readySodium()
  const { ours, forwardKey, mediator, sharedKeys } = floorKeysOf(config)
  const client = new RelayHttpClient(config.concurrency)
  const socket = new WebSocket(config.wsUrl)

  const ping = () => {
    const plaintext = JSON.stringify({
      '@type': 'https://didcomm.org/trust_ping/1.0/ping',
      '@id': randomUUID(),
      response_requested: false,
      '~transport': { return_route: 'all' },
    })
    socket.send(JSON.stringify(authEncrypt(plaintext, ours, mediator, sharedKeys)))
  }
  const relay = async (envelope: Envelope) => {
    try {
      const forward = JSON.parse(anonDecrypt(envelope, forwardKey))
      // Next, please: before the POST, as the proxy asks once the message is in its outbox.
      ping()
      await client.post(config.sinkUrl, JSON.stringify(forward.msg), 10_000)
    } catch (error) {
      process.stderr.write(`implicit floor: a message not relayed: ${(error as Error).message}\n`)
    }
  }

  socket.on('message', (data: Buffer) => {
    let envelope: Envelope
    try {
      envelope = JSON.parse(data.toString('utf8'))
    } catch {
      return
    }
    const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString('utf8'))
    const kids = (header.recipients as Array<{ header: { kid: string } }>).map((recipient) => recipient.header.kid)
    if (kids.includes(forwardKey.verkey)) void relay(envelope)
  })
  socket.on('close', () => process.exit(0))
  socket.on('error', (error) => {
    process.send?.({ type: 'failed', reason: error.message } satisfies ImplicitFloorReport)
    process.exit(1)
  })
  socket.on('open', () => {
    ping()
    process.send?.({ type: 'ready' } satisfies ImplicitFloorReport)
  })
  process.on('disconnect', () => socket.close())
}

// The config holds secret keys, so it comes over IPC, not on the command line for every `ps` to read.
process.once('message', (config: ImplicitFloorConfig) =>
  main(config).catch((error) => {
    process.send?.({ type: 'failed', reason: (error as Error).message } satisfies ImplicitFloorReport)
    process.exit(1)
  }),
)
