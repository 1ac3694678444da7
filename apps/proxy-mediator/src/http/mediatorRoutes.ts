import type { Logger } from '@credo-ts/core'
import type { MediatorChange } from '@proxy-mediator/proxy-mediator'
import { z } from 'zod'
import type { ProxyMediatorControl } from '../web/ProxyMediatorControl'
import { ERROR_CODE } from '../web/readInput'
import { RECORD_ID } from '../web/recordId'
import { type AnyApiRoute, type RouteAnswer, apiRoute } from './api/ApiRoute'
import { invitationUrlOf, safeHost, strictMediatorInvitationBody } from './readMediatorInvitation'

const TAG = 'External mediators'

const mediatorIdParams = z.object({
  id: z
    .string()
    .regex(RECORD_ID, {
      error: (issue) =>
        `:id: '${String(issue.input).slice(0, 64)}' is not a mediator id. Use an id from GET /mediators (the proxy's connection id to the mediator).`,
    })
    .meta({ description: 'The mediator\u2019s id (GET /mediators).', [ERROR_CODE]: 'invalid_mediator_id' }),
})

const forceQuery = z.object({
  force: z
    .enum(['true', '1', 'false', '0'], {
      error: (issue) =>
        `force: must be true or false, got ${JSON.stringify(issue.input)}. ?force=true removes a mediator that still holds messages, abandoning them.`,
    })
    .optional()
    .meta({
      description: 'Remove even though it still holds messages for the proxy, abandoning them (logged).',
      [ERROR_CODE]: 'invalid_force',
    }),
})

/** Every answer of a change: what the module did, and the list after it. */
const changeAnswer: RouteAnswer = {
  description: 'What changed (`change`), and the mediators after it.',
  schema: z.looseObject({ change: z.looseObject({ result: z.string(), mediatorId: z.string() }) }),
}
/** What the module refuses of a change, passed on with its reason. */
const refusedChanges: Record<number, RouteAnswer> = {
  404: { description: 'No mediator has this id (`mediator_not_found`).' },
  409: {
    description:
      'Refused: it would leave no primary, or it still holds messages (`mediator_change_refused`), or another change runs (`setup_in_progress`).',
  },
}

/**
 * The external mediators, behind the admin key:
 * - GET /mediators: each with its role, state, counts and last error;
 * - POST /mediators {"invitation_url", "primary"?}: add one (primary unless `"primary": false`);
 * - POST /mediators/:id/promote, POST /mediators/:id/drain, DELETE /mediators/:id[?force=true];
 * - POST /mediators/announce-route: send every agent a fresh grant with the current route.
 * Every answer of a change is `{change, mediators}`: what the module did, and the list after it.
 */
export function mediatorRoutes(logger: Logger): AnyApiRoute[] {
  const listing = (proxy: ProxyMediatorControl) => {
    const { status, reason, mediators, failovers } = proxy.getStatus()
    return { status, reason, failovers, mediators }
  }
  const change = (
    action: 'promote' | 'drain',
    summary: string,
    description: string,
    run: (proxy: ProxyMediatorControl, id: string) => Promise<MediatorChange>,
  ) =>
    apiRoute({
      method: 'post',
      path: `/mediators/:id/${action}`,
      access: 'admin',
      crossSite: 'none',
      tag: TAG,
      summary,
      description,
      params: mediatorIdParams,
      answers: { 200: changeAnswer, ...refusedChanges },
      handle: async ({ proxy, params, res }) => {
        const done = await run(proxy, params.id)
        logger.info(`External mediator ${params.id}: ${action}`)
        res.json({ change: done, ...listing(proxy) })
      },
    })

  return [
    apiRoute({
      method: 'get',
      path: '/mediators',
      access: 'admin',
      crossSite: 'none',
      tag: TAG,
      summary: 'The external mediators',
      description: 'Each with its role, whether new grants name it, its state, socket, counts and last error.',
      answers: {
        200: {
          description: 'The state, its reason, the failovers and the mediators, the primary first.',
          schema: z.looseObject({ status: z.string(), mediators: z.array(z.looseObject({ id: z.string() })) }),
        },
      },
      handle: ({ proxy, res }) => {
        res.json(listing(proxy))
      },
    }),

    apiRoute({
      method: 'post',
      path: '/mediators',
      access: 'admin',
      crossSite: 'json',
      tag: TAG,
      summary: 'Add an external mediator',
      description:
        'As primary (the current primary drains, and the agents are sent the new route) unless `"primary": false`, which adds it as standby. A mediator the proxy has already is `unchanged` (200).',
      body: strictMediatorInvitationBody,
      answers: {
        201: changeAnswer,
        200: { description: 'The proxy has this mediator already: `change.result` is `unchanged`.' },
        409: { description: 'Another change of mediators runs (`setup_in_progress`).' },
        502: { description: 'The mediator could not be reached, or refused (`mediator_unreachable`).' },
      },
      handle: async ({ proxy, body, res }) => {
        const invitationUrl = invitationUrlOf(body) as string
        const primary = body.primary ?? true
        logger.info('Adding an external mediator', { invitationHost: safeHost(invitationUrl), primary })
        const { change } = await proxy.connectToMediator(invitationUrl, { primary })
        logger.info(`External mediator ${change.mediatorId}: ${change.result}`, { role: change.role })
        res.status(change.result === 'added' ? 201 : 200).json({ change, ...listing(proxy) })
      },
    }),

    apiRoute({
      method: 'post',
      path: '/mediators/announce-route',
      access: 'admin',
      crossSite: 'none',
      tag: TAG,
      summary: 'Send every agent the current route',
      description:
        'A fresh grant with the endpoint and routing keys new grants name now, to every mediated agent (ACA-Py applies it; Credo agents refuse an unrequested grant).',
      answers: {
        200: {
          description: 'How many agents were sent it, and the mediators.',
          schema: z.looseObject({ agentsAnnouncedTo: z.number() }),
        },
      },
      handle: async ({ proxy, res }) => {
        const agentsAnnouncedTo = await proxy.announceRoute()
        logger.info(`Announced the current route to ${agentsAnnouncedTo} agents`)
        res.json({ agentsAnnouncedTo, ...listing(proxy) })
      },
    }),

    change(
      'promote',
      'Make a mediator primary',
      'New grants name it; the previous primary drains; the agents are sent the new route.',
      (proxy, id) => proxy.promoteMediator(id),
    ),
    change(
      'drain',
      'Drain a mediator',
      'It is still picked up from (senders hold routes through it), and named in no new grant.',
      (proxy, id) => proxy.drainMediator(id),
    ),

    apiRoute({
      method: 'delete',
      path: '/mediators/:id',
      access: 'admin',
      crossSite: 'none',
      tag: TAG,
      summary: 'Remove a mediator',
      description:
        'Refused while it holds messages for the proxy, unless `force=true`, which abandons them and logs how many.',
      params: mediatorIdParams,
      query: forceQuery,
      answers: { 200: changeAnswer, ...refusedChanges },
      handle: async ({ proxy, params, query, res }) => {
        const force = query.force === 'true' || query.force === '1'
        const done = await proxy.removeMediator(params.id, { force })
        res.json({ change: done, ...listing(proxy) })
      },
    }),
  ]
}
