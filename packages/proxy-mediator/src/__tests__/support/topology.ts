import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type EdgeAgent,
  type ExternalMediator,
  connectTo,
  createMediatedInvitationUrl,
  freePort,
  startEdgeAgent,
  startExternalMediator,
  useProxyAsMediator,
} from '@proxy-mediator/topology'
import { type TestProxy, type TestProxyOptions, startProxy } from './startProxy'

export interface Topology {
  mediator: ExternalMediator
  proxy: TestProxy
  agent: EdgeAgent
  sender: EdgeAgent
  /** The sender's connection to the agent, through the agent's mediated invitation. */
  senderConnectionId: string
  dir: string
  stop(): Promise<void>
}

/**
 * sender ─▶ external mediator ◀═ pickup ═ proxy ─▶ agent, all real Credo agents on loopback,
 * set up the way an integration script would.
 */
export async function startTopology(proxyOptions: Partial<TestProxyOptions> = {}): Promise<Topology> {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-e2e-'))
  const mediator = await startExternalMediator({ port: await freePort() })
  const proxy = await startProxy({ port: await freePort(), storagePath: join(dir, 'proxy'), ...proxyOptions })
  const agent = await startEdgeAgent({ port: await freePort(), label: 'agent', storagePath: join(dir, 'agent') })
  const sender = await startEdgeAgent({ port: await freePort(), label: 'sender' })

  await proxy.api.connectToMediator(await mediator.createInvitationUrl())
  const { invitationUrl } = await proxy.api.getAgentInvitation()
  await useProxyAsMediator(agent.agent, invitationUrl)
  const connection = await connectTo(sender.agent, await createMediatedInvitationUrl(agent.agent))

  return {
    mediator,
    proxy,
    agent,
    sender,
    senderConnectionId: connection.id,
    dir,
    async stop() {
      for (const role of [sender, agent, proxy, mediator]) await role.stop().catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function sendMessages(topology: Topology, prefix: string, count: number): Promise<string[]> {
  const contents = Array.from({ length: count }, (_, index) => `${prefix}-${index}`)
  for (const content of contents) {
    await topology.sender.agent.basicMessages.sendMessage(topology.senderConnectionId, content)
  }
  return contents
}
