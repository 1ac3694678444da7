import { DidKey, Key, KeyType } from '@credo-ts/core'
import { AcapyLikeAgent } from '@proxy-mediator/acapy-like-peer'
import { until } from '@proxy-mediator/topology'
import type { PickupRecipient } from './driver'
import type { BoxKeyPair } from './envelope'
import { boxKeyConfig, connectionKeyConfig } from './floorKeys'
import { startFloorProcess } from './floorProcess'
import type { PickupFloorConfig } from './pickupFloorProcess'
import { rssOfPid } from './proxy'
import { type RelaySetup, liveSessionIdOf } from './setup'

export interface PickupFloor extends PickupRecipient {
  stop(): Promise<void>
}

const LABEL = 'bench-pickup-floor'

/**
 * Connects the pickup floor to the bench's external mediator and starts it in its own process.
 * The connection is made by the ACA-Py-like peer (no Credo code), over the mediator's HTTP
 * endpoint; the floor process then takes its keys and speaks pickup 2.0 over the websocket.
 */
export async function startPickupFloor(
  setup: RelaySetup,
  options: {
    forwardKey: BoxKeyPair
    concurrency: number
    window: number
    batchSize: number
    /** Write a V8 CPU profile of the pickup floor into this directory, as the bench does for the runner. */
    cpuProfileDir?: string
  },
): Promise<PickupFloor> {
  const { mediator } = setup
  const peer = await AcapyLikeAgent.start({ label: LABEL })
  let connection: Awaited<ReturnType<AcapyLikeAgent['connect']>>
  try {
    connection = await peer.connect(await mediator.createInvitationUrl(), { protocol: 'connections/1.0' })
  } finally {
    await peer.stop()
  }
  let connectionId = ''
  await until(
    async () => {
      // theirLabel is not a tag of the record, so no query can select by it.
      const record = (await mediator.agent.connections.getAll()).find((candidate) => candidate.theirLabel === LABEL)
      connectionId = record?.isReady ? record.id : ''
      return connectionId !== ''
    },
    20_000,
    "the mediator's connection to the pickup floor",
  )
  const config: PickupFloorConfig = {
    wsUrl: mediator.endpoints.find((endpoint) => endpoint.startsWith('ws')) as string,
    sinkUrl: setup.sink.url,
    ours: connectionKeyConfig(connection.ourKey),
    theirs: connection.theirKey,
    forwardKey: boxKeyConfig(options.forwardKey),
    concurrency: options.concurrency,
    window: options.window,
    batchSize: options.batchSize,
  }
  const floor = await startFloorProcess('pickupFloorProcess.js', config, options.cpuProfileDir)
  const pickupSessionId = () => liveSessionIdOf(mediator, connectionId, "the pickup floor's live pickup session")
  await pickupSessionId()
  return {
    connectionId,
    recipientDid: new DidKey(Key.fromPublicKeyBase58(options.forwardKey.verkey, KeyType.Ed25519)).did,
    pid: floor.pid,
    rss: () => rssOfPid(floor.pid),
    pickupSessionId,
    stop: () => floor.stop(),
  }
}
