import type { AcapyLikeMediator } from '@proxy-mediator/acapy-like-peer'
import { AcapyLikeAgent } from '@proxy-mediator/acapy-like-peer'
import type { BoxKeyPair } from './envelope'
import { boxKeyConfig, connectionKeyConfig } from './floorKeys'
import { type FloorProcess, startFloorProcess } from './floorProcess'
import type { ImplicitFloorConfig } from './implicitFloorProcess'

/** What the implicit floor needs to reconnect for each round: its keys on the mediator, and where to relay. */
export interface ImplicitFloor {
  /** Connects (a new process) and drains whatever the mediator queued for it, until `stop`. */
  start(): Promise<FloorProcess>
}

/**
 * Registers the implicit pickup floor with an ACA-Py-like mediator, as an ACA-Py mediation client
 * would over HTTP (the ACA-Py-like peer: connections 1.0, mediate-request, keylist-update of the
 * forward key), so that the mediator routes the floor's forwards to its connection.
 */
export async function setUpImplicitFloor(
  mediator: AcapyLikeMediator,
  options: { forwardKey: BoxKeyPair; sinkUrl: string; concurrency: number },
): Promise<ImplicitFloor> {
  const peer = await AcapyLikeAgent.start({ label: 'bench-implicit-floor', keyFormat: 'base58', queueEndpoint: true })
  let connection: Awaited<ReturnType<AcapyLikeAgent['connect']>>
  try {
    connection = await peer.connect(mediator.createInvitationUrl(['connections/1.0']), { protocol: 'connections/1.0' })
    await peer.requestMediation()
    await peer.registerKey(options.forwardKey.verkey)
  } finally {
    await peer.stop()
  }
  const config: ImplicitFloorConfig = {
    wsUrl: mediator.endpoints.find((endpoint) => endpoint.startsWith('ws')) as string,
    sinkUrl: options.sinkUrl,
    ours: connectionKeyConfig(connection.ourKey),
    theirs: connection.theirKey,
    forwardKey: boxKeyConfig(options.forwardKey),
    concurrency: options.concurrency,
  }
  return { start: () => startFloorProcess('implicitFloorProcess.js', config) }
}
