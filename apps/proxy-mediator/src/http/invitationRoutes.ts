import type { Logger } from '@credo-ts/core'
import { z } from 'zod'
import type { ProxyMediatorControlProvider } from '../web/ProxyMediatorControl'
import { STARTING_BODY } from '../web/errorResponses'
import { type AnyApiRoute, apiRoute } from './api/ApiRoute'
import { invitationUrlOf, mediatorInvitationBody, safeHost } from './readMediatorInvitation'

const TAG = 'Set-up'

/**
 * The set-up routes, each under its Python proxy-mediator name and a clearer one:
 * - GET /retrieve_agent_invitation, GET /invitation: the invitation the agent accepts.
 * - POST /receive_mediator_invitation, POST /mediator-invitation: connect to the external mediator;
 *   called again once set up, it adds a mediator (primary unless `"primary": false`), and its
 *   answer's `change` says what happened (`added`, or `unchanged` for a mediator it has).
 */
export function invitationRoutes(control: ProxyMediatorControlProvider, logger: Logger): AnyApiRoute[] {
  return [
    // The invitation works before upstream is ready: the agent can connect any time, and the
    // module refuses mediation until upstream is ready (the agent retries its request).
    // Whoever holds the invitation can become a mediated agent, so it is as private as the key.
    // A new single-use invitation per call: no other site's page may make the browser ask for one.
    apiRoute({
      method: 'get',
      path: '/retrieve_agent_invitation',
      aliases: ['/invitation'],
      access: 'admin',
      crossSite: 'none',
      needsProxy: false,
      tag: TAG,
      summary: 'The invitation for the agent',
      description:
        'The agent (ACA-Py: `/out-of-band/receive-invitation`, or `--mediator-invitation`) accepts it and requests mediation; mediation is granted once the proxy is ready. Whoever holds it can become a mediated agent: it is a credential. With multi-use-invitation false, each call makes a fresh single-use one.',
      answers: {
        200: { description: 'The invitation URL.', schema: z.object({ invitation_url: z.string() }) },
        503: {
          description: 'The proxy is starting (the Python proxy-mediator\u2019s shape: a null invitation).',
          schema: z.object({ invitation_url: z.null(), error: z.literal('starting'), detail: z.string() }),
        },
      },
      handle: async ({ res }) => {
        const current = control()
        if (!current) {
          res.status(503).json({ invitation_url: null, ...STARTING_BODY })
          return
        }
        const { invitationUrl } = await current.getAgentInvitation()
        res.json({ invitation_url: invitationUrl })
      },
    }),

    apiRoute({
      method: 'post',
      path: '/receive_mediator_invitation',
      aliases: ['/mediator-invitation'],
      access: 'admin',
      crossSite: 'json',
      tag: TAG,
      summary: 'Connect to an external mediator',
      description:
        'The proxy connects, gets mediation, registers its routing key and starts pickup; the answer comes once pickup runs. Called again once set up, it adds a mediator: as primary (the current one drains and the agents are told the new route) unless `"primary": false`. `change.result` says what happened: `added`, or `unchanged` for a mediator the proxy has.',
      body: mediatorInvitationBody,
      answers: {
        200: {
          description: 'The status after the change, and `change`.',
          schema: z.looseObject({ status: z.string(), change: z.looseObject({ result: z.string() }) }),
        },
        409: { description: 'Another change of mediators runs (`setup_in_progress`).' },
        502: {
          description: 'The mediator could not be reached, or refused (`mediator_unreachable`), with its reason.',
        },
      },
      handle: async ({ proxy, body, res }) => {
        const invitationUrl = invitationUrlOf(body) as string
        const primary = body.primary ?? undefined
        logger.info('Connecting to the external mediator', { invitationHost: safeHost(invitationUrl) })
        const { status, ...details } = await proxy.connectToMediator(
          invitationUrl,
          primary === undefined ? undefined : { primary },
        )
        logger.info('Connected to the external mediator', {
          status,
          result: details.change.result,
          mediatorId: details.change.mediatorId,
        })
        res.json({ status, ...details })
      },
    }),
  ]
}
