import { connectTo, startEdgeAgent } from '@proxy-mediator/topology'
import { envNumber, serveRole } from '../serveRole'

/** Demo role: a sender on the internet side, which reaches the agent through the external mediator. */
async function main() {
  const sender = await startEdgeAgent({
    port: envNumber('DEMO_PORT'),
    label: 'demo-sender',
    storagePath: process.env.DEMO_STORAGE,
  })
  let connectionId: string | undefined
  serveRole(
    {
      connect: async (invitationUrl) => {
        connectionId = (await connectTo(sender.agent, invitationUrl as string)).id
        return connectionId
      },
      send: async (content) => {
        if (!connectionId) throw new Error('not connected')
        await sender.agent.basicMessages.sendMessage(connectionId, content as string)
        return true
      },
    },
    { endpoint: sender.endpoints[0] },
    () => sender.stop(),
  )
}

main().catch((error) => {
  process.stderr.write(`sender: ${error?.stack ?? error}\n`)
  process.exit(1)
})
