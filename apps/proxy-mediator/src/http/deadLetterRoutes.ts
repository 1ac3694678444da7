import { z } from 'zod'
import { deadLetterPageQuery } from '../web/deadLetterPageQuery'
import { deleteSelected, deleteSelection, replaySelected, replaySelection } from '../web/deadLetterSelection'
import { ERROR_CODE } from '../web/readInput'
import { type AnyApiRoute, apiRoute } from './api/ApiRoute'

const TAG = 'Dead letters'
const deadLetterSummary = z.object({
  id: z.string(),
  at: z.string().meta({ description: 'When it was dead-lettered (ISO time).' }),
  reason: z.string(),
  recipientKey: z.string().optional().meta({ description: 'The key the forward named, when the proxy read it.' }),
  agentConnectionId: z.string().optional().meta({ description: 'The mediated agent that holds that key now.' }),
  envelopeBytes: z.number().optional(),
  envelopeDigest: z.string().optional().meta({ description: 'SHA-256 of an envelope too large to keep whole.' }),
  replayable: z.boolean().meta({ description: 'Whether its envelope is kept whole, so it can be relayed again.' }),
})

/**
 * The messages acknowledged upstream that the proxy will not relay by itself: listed a page at a
 * time (the reason, when, the key and the agent that holds it, the size; never the content),
 * relayed again through the same at-least-once pipeline once the cause is fixed, or deleted. Behind
 * the admin key: the keys and reasons say who talks to whom. Every action is logged with who asked.
 */
export function deadLetterRoutes(): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'get',
      path: '/dead-letters',
      access: 'admin',
      crossSite: 'none',
      tag: TAG,
      summary: 'A page of dead letters, newest first',
      description: 'Never their content. `next` is the `before` of the following page; null on the last one.',
      query: deadLetterPageQuery,
      answers: {
        200: {
          description: 'A page of summaries.',
          schema: z.object({ dead_letters: z.array(deadLetterSummary), next: z.string().nullable() }),
        },
      },
      handle: async ({ proxy, query, res }) => {
        const page = await proxy.getDeadLetterPage({ limit: query.limit, before: query.before })
        res.json({ dead_letters: page.deadLetters, next: page.next ?? null })
      },
    }),

    apiRoute({
      method: 'post',
      path: '/dead-letters/replay',
      access: 'admin',
      crossSite: 'json',
      tag: TAG,
      summary: 'Relay dead letters again',
      description:
        'Once the cause is fixed (the agent registered its key again, its endpoint answers): these dead letters, or all of one agent\u2019s, go back into the outbox and are relayed from there, at least once. Each one taken stops being a dead letter; one that cannot be (its key has no agent, its envelope was too large to keep) stays, with the reason.',
      body: replaySelection,
      answers: {
        200: {
          description: 'What became of each.',
          schema: z.object({
            replayed: z.array(z.string()),
            refused: z.array(z.object({ id: z.string(), reason: z.string() })),
          }),
        },
      },
      handle: async ({ proxy, body, by, res }) => {
        res.json(await replaySelected(proxy, body, by))
      },
    }),

    apiRoute({
      method: 'post',
      path: '/dead-letters/delete',
      access: 'admin',
      crossSite: 'json',
      tag: TAG,
      summary: 'Delete dead letters for good',
      description: 'These dead letters, all of one agent\u2019s, or all of them.',
      body: deleteSelection,
      answers: {
        200: { description: 'How many were deleted.', schema: z.object({ deleted: z.number() }) },
      },
      handle: async ({ proxy, body, by, res }) => {
        res.json({ deleted: await deleteSelected(proxy, body, by) })
      },
    }),
  ]
}
