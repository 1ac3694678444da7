import { createMediatedInvitationUrl, startEdgeAgent, useProxyAsMediator } from '../../edgeAgent'
import { roleStorage, roleEndpoint, rolePort, runRole, serveRole } from '../serveRole'

/** Role process: the agent behind the firewall, with an HTTP endpoint only. */
runRole('edge agent', async () => {
  const agent = await startEdgeAgent({
    port: rolePort(),
    endpoint: roleEndpoint(),
    label: 'role-agent',
    storagePath: roleStorage(),
  })
  serveRole(
    {
      // What an integration script does with GET /retrieve_agent_invitation's URL.
      useProxy: async (invitationUrl) => {
        await useProxyAsMediator(agent.agent, invitationUrl as string)
        return true
      },
      mediatedInvitation: () => createMediatedInvitationUrl(agent.agent),
      /** Contents of the basic messages received since this process started, duplicates included. */
      received: async () => agent.received,
      receivedCount: async () => agent.received.length,
    },
    { endpoint: agent.endpoints[0] },
    () => agent.stop(),
  )
})
