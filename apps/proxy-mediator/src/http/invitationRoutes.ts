import express, { type Request, Router } from 'express'
import type { Logger } from '@credo-ts/core'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { asyncRoute } from './asyncRoute'
import { BadRequestError } from './errorResponses'
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
 * - POST /receive_mediator_invitation, POST /mediator-invitation: connect to the external mediator.
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
  router.get(['/retrieve_agent_invitation', '/invitation'], requireApiKey(adminApiKey), getAgentInvitation)

  // The JSON parser is mounted on these routes only, so it never touches DIDComm bodies.
  // It reads any content type: integration scripts often post JSON with curl's form default.
  const parseJson = express.json({ limit: maxBodySizeBytes, type: () => true, strict: true })

  const receiveMediatorInvitation = asyncRoute(async (req, res) => {
    const current = control()
    if (!current) {
      res.status(503).json(STARTING)
      return
    }
    const invitationUrl = readInvitationUrl(req)
    logger.info('Connecting to the external mediator', { invitationHost: safeHost(invitationUrl) })
    await current.connectToMediator(invitationUrl)
    const { status, ...details } = current.getStatus()
    logger.info('Connected to the external mediator', { status })
    res.json({ status, ...details })
  })
  router.post(
    ['/receive_mediator_invitation', '/mediator-invitation'],
    requireApiKey(adminApiKey),
    parseJson,
    receiveMediatorInvitation,
  )

  return router
}

function readInvitationUrl(req: Request): string {
  const body = req.body as Record<string, unknown> | undefined
  const value = body && typeof body === 'object' ? (body.invitation_url ?? body.invitationUrl) : undefined
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BadRequestError(
      'invitation_url: required. Send {"invitation_url": "<the external mediator\'s invitation URL>"}.',
    )
  }
  try {
    new URL(value)
  } catch {
    throw new BadRequestError(
      'invitation_url: not a URL. Give the full invitation URL, e.g. https://mediator.example/?oob=...',
      'invalid_url',
    )
  }
  return value
}

/** Only the host goes to the log: the query of an invitation URL is the invitation itself. */
function safeHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'invalid'
  }
}
