import { connectTo, startEdgeAgent } from '../../edgeAgent'
import { roleStorage, roleEndpoint, rolePort, runRole, serveRole } from '../serveRole'

export interface StreamArgs {
  /** Contents are `${prefix}-${index}`, index from 0. */
  prefix: string
  count: number
  /** Pause between two sends. @default 0 */
  intervalMs?: number
}

export interface StreamProgress {
  sent: number
  failed: string[]
  done: boolean
}

/** Role process: a sender on the internet side, which reaches the agent through the external mediator. */
runRole('sender', async () => {
  const sender = await startEdgeAgent({
    port: rolePort(),
    endpoint: roleEndpoint(),
    label: 'role-sender',
    storagePath: roleStorage(),
  })
  let connectionId: string | undefined
  const progress: StreamProgress = { sent: 0, failed: [], done: true }

  const send = async (content: string) => {
    if (!connectionId) throw new Error('not connected')
    await sender.agent.basicMessages.sendMessage(connectionId, content)
  }

  serveRole(
    {
      connect: async (invitationUrl) => {
        connectionId = (await connectTo(sender.agent, invitationUrl as string)).id
        return connectionId
      },
      send: async (content) => {
        await send(content as string)
        return true
      },
      /** Starts sending `count` messages one after the other in the background; see `progress`. */
      stream: async (args) => {
        const { prefix, count, intervalMs = 0 } = args as StreamArgs
        if (!connectionId) throw new Error('not connected')
        if (!progress.done) throw new Error('a stream is already running')
        Object.assign(progress, { sent: 0, failed: [], done: false })
        void (async () => {
          for (let index = 0; index < count; index++) {
            const content = `${prefix}-${index}`
            await send(content).then(
              () => progress.sent++,
              (error: Error) => progress.failed.push(`${content}: ${error.message}`),
            )
            if (intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs))
          }
          progress.done = true
        })()
        return true
      },
      progress: async () => progress,
    },
    { endpoint: sender.endpoints[0] },
    () => sender.stop(),
  )
})
