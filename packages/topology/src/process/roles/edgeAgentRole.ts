import { createMediatedInvitationUrl, startEdgeAgent, useProxyAsMediator } from '@proxy-mediator/topology'
import { envNumber, serveRole } from '../serveRole'

/** Demo role: the agent behind the firewall, with an HTTP endpoint only. */
async function main() {
  const agent = await startEdgeAgent({
    port: envNumber('DEMO_PORT'),
    label: 'demo-agent',
    storagePath: process.env.DEMO_STORAGE,
  })
  serveRole(
    {
      // What an integration script does with GET /retrieve_agent_invitation's URL.
      useProxy: async (invitationUrl) => {
        await useProxyAsMediator(agent.agent, invitationUrl as string)
        return true
      },
      mediatedInvitation: () => createMediatedInvitationUrl(agent.agent),
      received: async () => agent.received,
    },
    { endpoint: agent.endpoints[0] },
    () => agent.stop(),
  )
}

main().catch((error) => {
  process.stderr.write(`edge agent: ${error?.stack ?? error}\n`)
  process.exit(1)
})
