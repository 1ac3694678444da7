import { RedeliveringMessageQueue } from '../../RedeliveringMessageQueue'
import { startExternalMediator } from '../../externalMediator'
import { RoleEnv } from '../ipc'
import { envNumber, roleStorage, roleEndpoint, rolePort, runRole, serveRole } from '../serveRole'

/**
 * Role process: the external mediator on the "internet" side. With ROLE_QUEUE_FILE its queue
 * is kept in that file, so a restarted mediator still holds the unacknowledged messages.
 */
runRole('external mediator', async () => {
  tolerateLiveDeliveryWriteErrors()
  const queue = new RedeliveringMessageQueue({
    filePath: process.env[RoleEnv.queueFile] || undefined,
    visibilityTimeoutMs: process.env[RoleEnv.visibilityTimeoutMs] ? envNumber(RoleEnv.visibilityTimeoutMs) : undefined,
  })
  const mediator = await startExternalMediator({
    port: rolePort(),
    endpoint: roleEndpoint(),
    storagePath: roleStorage(),
    queue,
  })
  serveRole(
    {
      invitation: () => mediator.createInvitationUrl(),
      /** Messages the mediator still holds (acknowledged ones are removed). */
      queueSize: async () => mediator.queue.size,
    },
    { endpoint: mediator.endpoints[0] },
    () => mediator.stop(),
  )
})

/**
 * Credo 0.5.19's WsInboundTransport throws from a ws write callback when the socket of a live
 * pickup session is reset under a delivery (`WebSocket send message failed`, cause ECONNRESET
 * or EPIPE): an uncaught exception that takes the whole mediator down when a pickup client is
 * killed. A production mediator has to survive that, so this role logs it and goes on (the
 * message stays in the queue unacknowledged and is offered again). Any other uncaught error
 * still ends the process.
 */
function tolerateLiveDeliveryWriteErrors() {
  process.on('uncaughtException', (error: Error & { cause?: { code?: string } }) => {
    const code = error?.cause?.code
    if (error?.message === 'WebSocket send message failed.' && (code === 'ECONNRESET' || code === 'EPIPE')) {
      process.stderr.write(`external mediator: tolerated ${error.message} (${code})\n`)
      return
    }
    process.stderr.write(`external mediator: uncaught ${error?.stack ?? error}\n`)
    process.exit(1)
  })
}
