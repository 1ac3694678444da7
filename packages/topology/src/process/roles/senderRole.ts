import { connectTo, startEdgeAgent } from '../../edgeAgent'
import { roleEndpoint, rolePort, roleStorage, runRole, serveRole } from '../serveRole'

export interface StreamArgs {
  /** Contents are `${prefix}-${index}`, index from 0. */
  prefix: string
  count: number
  /** Pause between two sends. @default 0 */
  intervalMs?: number
  /** Which connection (a name given to `connect`) to send on. @default the last one connected */
  connection?: string
}

/**
 * `connect`'s argument: an invitation URL, or one with a name. A sender keeps the route of the DID
 * doc it got at connection time, so connections made at different times can route through
 * different external mediators; the name picks one in `send` and `stream`.
 */
export type ConnectArgs = string | { invitationUrl: string; name: string }

/** `send`'s argument: the content, or the content and the connection's name. */
export type SendArgs = string | { content: string; connection: string }

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
  const named = new Map<string, string>()
  const progress: StreamProgress = { sent: 0, failed: [], done: true }

  const connectionOf = (name?: string) => {
    const id = name === undefined ? connectionId : named.get(name)
    if (!id) throw new Error(name === undefined ? 'not connected' : `no connection named ${name}`)
    return id
  }
  const send = async (content: string, connection?: string) => {
    await sender.agent.basicMessages.sendMessage(connectionOf(connection), content)
  }

  serveRole(
    {
      connect: async (args) => {
        const { invitationUrl, name } =
          typeof args === 'string'
            ? { invitationUrl: args, name: undefined }
            : (args as { invitationUrl: string; name: string })
        connectionId = (await connectTo(sender.agent, invitationUrl)).id
        if (name !== undefined) named.set(name, connectionId)
        return connectionId
      },
      send: async (args) => {
        const { content, connection } =
          typeof args === 'string'
            ? { content: args, connection: undefined }
            : (args as { content: string; connection: string })
        await send(content, connection)
        return true
      },
      /** Starts sending `count` messages one after the other in the background; see `progress`. */
      stream: async (args) => {
        const { prefix, count, intervalMs = 0, connection } = args as StreamArgs
        connectionOf(connection)
        if (!progress.done) throw new Error('a stream is already running')
        Object.assign(progress, { sent: 0, failed: [], done: false })
        void (async () => {
          for (let index = 0; index < count; index++) {
            const content = `${prefix}-${index}`
            await send(content, connection).then(
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
