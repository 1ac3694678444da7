import express, { Router } from 'express'
import type { Logger } from '@credo-ts/core'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { asyncRoute } from './asyncRoute'
import { readMediatorInvitation, safeHost } from './readMediatorInvitation'
import { refuseCrossSite } from './refuseCrossSite'
import { requireApiKey } from './requireApiKey'

export interface InvitationRoutesOptions {
  control: ProxyMediatorControlProvider
  adminApiKey?: string
  maxBodySizeBytes: number
  logger: Logger
}

const STARTING = { error: 'starting', detail: 'The proxy is starting (opening its wallet); try again shortly.' }

/**
 * The set-up routes, each under its Python proxy-mediator name and a clearer one:
 * - GET /retrieve_agent_invitation, GET /invitation: the invitation the agent accepts.
 * - POST /receive_mediator_invitation, POST /mediator-invitation: connect to the external mediator;
 *   called again once set up, it adds a mediator (primary unless `"primary": false`), and its
 *   answer's `change` says what happened (`added`, or `unchanged` for a mediator it has).
 */
export function invitationRoutes({ control, adminApiKey, maxBodySizeBytes, logger }: InvitationRoutesOptions): Router {
  const router = Router()

  // The invitation works before upstream is ready: the agent can connect any time, and the
  // module refuses mediation until upstream is ready (the agent retries its request).
  const getAgentInvitation = asyncRoute(async (_req, res) => {
    const current = control()
    if (!current) {
      res.status(503).json({ invitation_url: null, ...STARTING })
      return
    }
    const { invitationUrl } = await current.getAgentInvitation()
    res.json({ invitation_url: invitationUrl })
  })
  // Whoever holds the invitation can become a mediated agent, so it is as private as the key.
  // A new single-use invitation per call: no other site's page may make the browser ask for one.
  router.get(
    ['/retrieve_agent_invitation', '/invitation'],
    refuseCrossSite('none'),
    requireApiKey(adminApiKey),
    getAgentInvitation,
  )

  // The JSON parser is mounted on these routes only, so it never touches DIDComm bodies. JSON only
  // (refuseCrossSite): a page of another site cannot post it without the browser asking first.
  const parseJson = express.json({ limit: maxBodySizeBytes, strict: true })

  const receiveMediatorInvitation = asyncRoute(async (req, res) => {
    const current = control()
    if (!current) {
      res.status(503).json(STARTING)
      return
    }
    const { invitationUrl, primary } = readMediatorInvitation(req)
    logger.info('Connecting to the external mediator', { invitationHost: safeHost(invitationUrl) })
    const { status, ...details } = await current.connectToMediator(
      invitationUrl,
      primary === undefined ? undefined : { primary },
    )
    logger.info('Connected to the external mediator', {
      status,
      result: details.change.result,
      mediatorId: details.change.mediatorId,
    })
    res.json({ status, ...details })
  })
  router.post(
    ['/receive_mediator_invitation', '/mediator-invitation'],
    refuseCrossSite('json'),
    requireApiKey(adminApiKey),
    parseJson,
    receiveMediatorInvitation,
  )

  return router
}
