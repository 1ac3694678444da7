import { join } from 'node:path'
import { RoleEnv, RoleProcess } from '@proxy-mediator/topology'
import { ProcessTopology, STARTUP_TIMEOUT_MS } from '../../../__tests__/faults/support/processTopology'

/**
 * The fault suite's process topology (real runner, external mediator, agent, sender, each its own
 * process) with nothing set up: the proxy starts in `init`, so that the operator's page can be
 * the one to give it the mediator's invitation.
 */
export async function startTopologyInInit(adminApiKey: string, runnerArgs: string[] = []): Promise<ProcessTopology> {
  const topology = await ProcessTopology.start({ proxyOnly: true, adminApiKey, runnerArgs })
  try {
    const [, , sender] = await Promise.all([topology.startMediator(), topology.startAgent(), startSender(topology)])
    topology.sender = sender
  } catch (error) {
    await topology.stop()
    throw error
  }
  return topology
}

/** ProcessTopology starts its sender only with a full set-up; the same role process, started here. */
async function startSender(topology: ProcessTopology): Promise<RoleProcess> {
  const sender = RoleProcess.start('sender', 'senderRole', {
    [RoleEnv.port]: String(topology.ports.sender),
    [RoleEnv.storage]: join(topology.dir, 'sender'),
  })
  await sender.ready(STARTUP_TIMEOUT_MS)
  return sender
}
