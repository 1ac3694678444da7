import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type EdgeAgent,
  type ExternalMediator,
  type MessageForwarding,
  connectTo,
  createMediatedInvitationUrl,
  freePort,
  startEdgeAgent,
  startExternalMediator,
  useProxyAsMediator,
} from '@proxy-mediator/topology'
import type { ProxyMediatorStatus } from '../../models/ProxyMediatorStatus'
import { type TestProxy, type TestProxyOptions, startProxy } from './startProxy'

export interface Topology {
  mediator: ExternalMediator
  proxy: TestProxy
  agent: EdgeAgent
  sender: EdgeAgent
  /** The sender's connection to the agent, through the agent's mediated invitation. */
  senderConnectionId: string
  /** What `connectToMediator` returned. */
  connectStatus: ProxyMediatorStatus
  dir: string
  stop(): Promise<void>
}

/**
 * sender ─▶ external mediator ◀═ pickup ═ proxy ─▶ agent, all real Credo agents on loopback,
 * set up the way an integration script would.
 */
export interface TopologyOptions {
  proxy?: Partial<TestProxyOptions>
  /** How the external mediator forwards. @default 'QueueAndLiveModeDelivery' */
  mediatorForwarding?: MessageForwarding
  /** A connections 1.0 (`c_i=`) mediator invitation, and did:sov-prefixed message types everywhere. */
  legacy?: boolean
}

export async function startTopology(options: TopologyOptions = {}): Promise<Topology> {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-e2e-'))
  const legacyConfig = options.legacy ? { useDidSovPrefixWhereAllowed: true } : undefined
  const mediator = await startExternalMediator({
    port: await freePort(),
    storagePath: join(dir, 'mediator'),
    messageForwarding: options.mediatorForwarding,
  })
  const proxy = await startProxy({ port: await freePort(), storagePath: join(dir, 'proxy'), ...options.proxy })
  const agent = await startEdgeAgent({
    port: await freePort(),
    label: 'agent',
    storagePath: join(dir, 'agent'),
    config: legacyConfig,
  })
  const sender = await startEdgeAgent({ port: await freePort(), label: 'sender', config: legacyConfig })

  const connectStatus = await proxy.api.connectToMediator(
    await mediator.createInvitationUrl({ legacy: options.legacy }),
  )
  const { invitationUrl } = await proxy.api.getAgentInvitation()
  await useProxyAsMediator(agent.agent, invitationUrl)
  const connection = await connectTo(sender.agent, await createMediatedInvitationUrl(agent.agent))

  const topology: Topology = {
    mediator,
    proxy,
    agent,
    sender,
    senderConnectionId: connection.id,
    connectStatus,
    dir,
    async stop() {
      // The current roles: a test may have replaced the agent or the mediator with a restarted one.
      for (const role of [topology.sender, topology.agent, topology.proxy, topology.mediator]) {
        await role.stop().catch(() => undefined)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return topology
}

export async function sendMessages(topology: Topology, prefix: string, count: number): Promise<string[]> {
  const contents = Array.from({ length: count }, (_, index) => `${prefix}-${index}`)
  for (const content of contents) {
    await topology.sender.agent.basicMessages.sendMessage(topology.senderConnectionId, content)
  }
  return contents
}
