import { randomUUID } from 'node:crypto'
import { RelayHttpClient } from '@proxy-mediator/proxy-mediator'
import WebSocket from 'ws'
import { type FloorConnectionConfig, floorKeysOf } from './floorKeys'
import { type Envelope, anonDecrypt, authDecrypt, authEncrypt, readySodium } from './envelope'

/**
 * The pickup floor, run as its own process as the runner is: the least a relay must do to take the
 * same forwards from the same external mediator over the same websocket, with no Credo code and
 * none of the module's. It speaks pickup 2.0 as the proxy does (live mode, a delivery-request for a
 * status as far as its window has room, acknowledgements batched over the same 25 ms and 100 ids),
 * opens each forward with the decrypt floor's own unpack, and POSTs the inner envelope with the
 * module's HTTP client at the same concurrency. It acknowledges a message only after the sink
 * answered 2xx. What it leaves out is everything a product needs beyond that: storage, the
 * routing table, dead letters, retries, events, metrics.
 */
export interface PickupFloorConfig extends FloorConnectionConfig {
  /** Picked-up messages kept unacknowledged at most: the proxy's pickupWindow. */
  window: number
  /** The limit of a delivery-request: the proxy's pickupBatchSize. */
  batchSize: number
}

export type PickupFloorReport = { type: 'ready' } | { type: 'failed'; reason: string }

const PICKUP = 'https://didcomm.org/messagepickup/2.0/'
const ACK_BATCH_WINDOW_MS = 25
const ACK_BATCH_MAX = 100

async function main(config: PickupFloorConfig) {
  await readySodium()
  const { ours, forwardKey, mediator, sharedKeys } = floorKeysOf(config)
  const client = new RelayHttpClient(config.concurrency)
  const socket = new WebSocket(config.wsUrl)
  let inFlight = 0
  let pendingAcks: string[] = []
  let ackTimer: NodeJS.Timeout | undefined

  const send = (message: Record<string, unknown>) => {
    const plaintext = JSON.stringify({ ...message, '@id': randomUUID(), '~transport': { return_route: 'all' } })
    socket.send(JSON.stringify(authEncrypt(plaintext, ours, mediator, sharedKeys)))
  }
  const flush = () => {
    clearTimeout(ackTimer)
    ackTimer = undefined
    if (pendingAcks.length === 0) return
    send({ '@type': `${PICKUP}messages-received`, message_id_list: pendingAcks })
    pendingAcks = []
  }
  const acknowledge = (id: string) => {
    pendingAcks.push(id)
    if (pendingAcks.length >= ACK_BATCH_MAX) flush()
    else ackTimer ??= setTimeout(flush, ACK_BATCH_WINDOW_MS)
  }
  const relay = async (id: string, envelope: Envelope) => {
    inFlight++
    try {
      const forward = JSON.parse(anonDecrypt(envelope, forwardKey))
      const { status } = await client.post(config.sinkUrl, JSON.stringify(forward.msg), 10_000)
      // Not acknowledged otherwise: the mediator offers it again, as it would to the proxy.
      if (status >= 200 && status < 300) acknowledge(id)
    } catch (error) {
      process.stderr.write(`pickup floor: message ${id} not relayed: ${(error as Error).message}\n`)
    } finally {
      inFlight--
    }
  }

  socket.on('message', (data: Buffer) => {
    let message: Record<string, unknown> & { '~attach'?: Array<{ '@id': string; data: { json: Envelope } }> }
    try {
      message = JSON.parse(authDecrypt(JSON.parse(data.toString('utf8')), ours, sharedKeys))
    } catch (error) {
      // Nothing is acknowledged for it, so the bench sees the loss at the sink and says so.
      process.stderr.write(`pickup floor: a frame it could not read: ${(error as Error).message}\n`)
      return
    }
    const type = String(message['@type'])
    if (type === `${PICKUP}delivery`) {
      for (const attachment of message['~attach'] ?? []) void relay(attachment['@id'], attachment.data.json)
    } else if (type === `${PICKUP}status`) {
      const limit = Math.min(Number(message.message_count) || 0, config.batchSize, config.window - inFlight)
      if (limit >= 1) send({ '@type': `${PICKUP}delivery-request`, limit })
    }
  })
  socket.on('close', () => process.exit(0))
  socket.on('error', (error) => {
    process.send?.({ type: 'failed', reason: error.message } satisfies PickupFloorReport)
    process.exit(1)
  })
  socket.on('open', () => {
    send({ '@type': `${PICKUP}live-delivery-change`, live_delivery: true })
    process.send?.({ type: 'ready' } satisfies PickupFloorReport)
  })
  process.on('disconnect', () => {
    flush()
    socket.close()
  })
}

// The config holds secret keys, so it comes over IPC, not on the command line for every `ps` to read.
process.once('message', (config: PickupFloorConfig) =>
  main(config).catch((error) => {
    process.send?.({ type: 'failed', reason: (error as Error).message } satisfies PickupFloorReport)
    process.exit(1)
  }),
)
