import express from 'express'
import { RedeliveringMessageQueue } from '../../RedeliveringMessageQueue'
import { startExternalMediator } from '../../externalMediator'
import { tolerateLiveDeliveryWriteErrors } from '../../tolerateLiveDeliveryWriteErrors'
import { RoleEnv } from '../ipc'
import { envNumber, roleEndpoint, rolePort, roleStorage, roleTls, runRole, serveRole } from '../serveRole'

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
  // A short invitation URL, as mediators publish them: GET /invitation answers the invitation as JSON.
  const app = express()
  const late: { invitationJson?: () => Promise<unknown> } = {}
  app.get('/invitation', (_req, res, next) => {
    if (!late.invitationJson) return void res.status(503).end()
    late.invitationJson().then((invitation) => res.json(invitation), next)
  })
  const mediator = await startExternalMediator({
    port: rolePort(),
    endpoint: roleEndpoint(),
    storagePath: roleStorage(),
    queue,
    tls: roleTls(),
    app,
  })
  late.invitationJson = async () => {
    const record = await mediator.agent.oob.createInvitation({ multiUseInvitation: true })
    return record.outOfBandInvitation.toJSON()
  }
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
