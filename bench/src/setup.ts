import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DidKey, Key, KeyType, MediationRole, MediatorService } from '@credo-ts/core'
import { until } from '@proxy-mediator/topology'
import {
  type ExternalMediator,
  type MessageForwarding,
  RedeliveringMessageQueue,
  freePort,
  startEdgeAgent,
  startExternalMediator,
  useProxyAsMediator,
} from '@proxy-mediator/topology'
import { progress } from './clock'
import { type ProxyOptions, type ProxyUnderTest, startInProcessProxy, startRunner } from './proxy'
import { Sink } from './sink'

export interface RelaySetup {
  dir: string
  mediator: ExternalMediator
  queue: RedeliveringMessageQueue
  proxy: ProxyUnderTest
  sink: Sink
  /** The agent key registered at the proxy by a real keylist update (base58). */
  agentVerkey: string
  proxyRoutingVerkey: string
  proxyRoutingDidKey: string
  /** The mediator's connection to the proxy, and its live pickup session. */
  proxyConnectionId: string
  pickupSessionId(): Promise<string>
  setForwarding(strategy: MessageForwarding): void
  stop(): Promise<void>
}

const toVerkey = (key: string) => (key.startsWith('did:key:') ? DidKey.fromDid(key).key.publicKeyBase58 : key)

/**
 * The honest set-up: a real Credo external mediator (in the bench process), the proxy (the
 * runner as a child process, or in-process), and a real Credo edge agent that connects to the
 * proxy, gets mediation and registers its key by keylist update. Then that agent stops and the
 * sink takes its HTTP port, so the proxy relays to the sink exactly as it would to the agent.
 */
export async function setUpRelay(options: {
  inProcess: boolean
  proxy: Omit<ProxyOptions, 'port' | 'storageDir'>
}): Promise<RelaySetup> {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-bench-'))
  // A long visibility timeout: at full load a relay backlog must not look like a lost message.
  const queue = new RedeliveringMessageQueue({ visibilityTimeoutMs: 30_000 })
  const mediator = await startExternalMediator({
    port: await freePort(),
    messageForwarding: 'QueueAndLiveModeDelivery',
    queue,
  })
  progress(`external mediator on ${mediator.endpoints[0]}`)
  const proxyOptions = { ...options.proxy, port: await freePort(), storageDir: join(dir, 'proxy') }
  const proxy = options.inProcess ? await startInProcessProxy(proxyOptions) : await startRunner(proxyOptions)
  progress(`proxy (${proxy.kind}, pid ${proxy.pid}) on ${proxy.endpoint}`)
  await proxy.connectToMediator(await mediator.createInvitationUrl())
  progress('proxy connected to the external mediator (pickup 2.0 live mode)')

  const agentPort = await freePort()
  const agent = await startEdgeAgent({ port: agentPort, label: 'bench-agent' })
  await useProxyAsMediator(agent.agent, await proxy.agentInvitationUrl())
  const grant = await agent.agent.mediationRecipient.findDefaultMediator()
  if (!grant?.routingKeys.length) throw new Error('the agent got no routing keys from the proxy')
  const proxyRoutingVerkey = toVerkey(grant.routingKeys[0])
  // Creating a mediated invitation registers a fresh key at the proxy (keylist update).
  const invitation = await agent.agent.oob.createInvitation()
  const service = invitation.outOfBandInvitation.getInlineServices()[0]
  const agentVerkey = toVerkey(service.recipientKeys[0])
  if (toVerkey(service.routingKeys?.[0] ?? '') !== proxyRoutingVerkey) throw new Error('unexpected routing keys')
  const transparent = options.proxy.relayMode === 'transparent'
  // In transparent mode the grant names the mediator's key alone; the proxy mirrored the agent's key there.
  if (transparent && grant.routingKeys.length !== 1) throw new Error('a transparent grant names one routing key')
  await agent.stop()
  const sink = await Sink.start(agentPort)
  progress(
    `agent key ${agentVerkey.slice(0, 8)}… registered at the proxy; sink (pid ${sink.pid}) took its port ${agentPort}`,
  )

  const mediatorService = mediator.agent.dependencyManager.resolve(MediatorService)
  const records = await mediatorService.getAll(mediator.agent.context)
  const routedKey = transparent ? agentVerkey : proxyRoutingVerkey
  const proxyRecord = records.find(
    (record) => record.role === MediationRole.Mediator && record.recipientKeys.map(toVerkey).includes(routedKey),
  )
  if (!proxyRecord) throw new Error(`the mediator has no mediation record routing ${routedKey} to the proxy`)
  const proxyConnectionId = proxyRecord.connectionId

  const pickupSessionId = () => liveSessionIdOf(mediator, proxyConnectionId, "the proxy's live pickup session")
  await pickupSessionId()

  const mediatorConfig = mediator.agent.mediator.config as unknown as {
    options: { messageForwardingStrategy?: string }
  }
  return {
    dir,
    mediator,
    queue,
    proxy,
    sink,
    agentVerkey,
    proxyRoutingVerkey,
    proxyRoutingDidKey: new DidKey(Key.fromPublicKeyBase58(proxyRoutingVerkey, KeyType.Ed25519)).did,
    proxyConnectionId,
    pickupSessionId,
    setForwarding(strategy) {
      mediatorConfig.options.messageForwardingStrategy = strategy
    },
    async stop() {
      await proxy.stop().catch(() => undefined)
      await sink.close().catch(() => undefined)
      await mediator.stop().catch(() => undefined)
    },
  }
}

/** The id of the live pickup session the mediator holds for a connection, once there is one. */
export async function liveSessionIdOf(mediator: ExternalMediator, connectionId: string, what: string): Promise<string> {
  let id: string | undefined
  await until(
    async () => {
      id = (await mediator.agent.messagePickup.getLiveModeSession({ connectionId }))?.id
      return id !== undefined
    },
    30_000,
    what,
  )
  return id as string
}
