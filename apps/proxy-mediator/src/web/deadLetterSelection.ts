import type { DeadLetterReplayResult } from '@proxy-mediator/proxy-mediator'
import { z } from 'zod'
import type { ProxyMediatorControl } from './ProxyMediatorControl'
import { ERROR_CODE, type IssueParams } from './readInput'
import { RECORD_ID } from './recordId'

const MAX_IDS = 1_000

const IDS_REFUSED = 'ids: a list of dead letter ids from GET /dead-letters.'
const CONNECTION_ID_REFUSED = 'connection_id: the id of an agent (`agentConnectionId` in GET /dead-letters).'

const ids = z
  .array(z.string({ error: IDS_REFUSED }).regex(RECORD_ID, { error: IDS_REFUSED }), { error: IDS_REFUSED })
  .min(1, { error: 'ids: name at least one dead letter.' })
  .max(MAX_IDS, { error: `ids: at most ${MAX_IDS} at once.` })
  .optional()
  .meta({ description: 'These dead letters.', [ERROR_CODE]: 'invalid_ids' })
const connectionId = z
  .string({ error: CONNECTION_ID_REFUSED })
  .regex(RECORD_ID, { error: CONNECTION_ID_REFUSED })
  .optional()
  .meta({ description: 'Every dead letter of this agent.', [ERROR_CODE]: 'invalid_connection_id' })

/** Exactly one of the selections a body may name, or a refusal that lists them. */
const exactlyOne = (names: readonly string[]) =>
  [
    (value: Record<string, unknown>) => names.filter((name) => value[name] !== undefined).length === 1,
    { error: `Name exactly one of ${names.join(', ')}.`, params: { code: 'invalid_selection' } satisfies IssueParams },
  ] as const

/** Which dead letters to relay again: `{"ids": [...]}` or `{"connection_id": "..."}`. */
export const replaySelection = z
  .object(
    { ids, connection_id: connectionId },
    { error: 'Send a JSON object: {"ids": [...]} or {"connection_id": "..."}.' },
  )
  .refine(...exactlyOne(['ids', 'connection_id']))

const DELETE_SELECTIONS = '{"ids": [...]}, {"connection_id": "..."} or {"all": true}'

/**
 * Which dead letters to delete: `{"ids": [...]}`, `{"connection_id": "..."}` or `{"all": true}`,
 * and no other field: a misspelt one beside `all` (`{"all": true, "connectionId": "..."}`) would
 * otherwise be dropped, and every agent's dead letters deleted instead of one agent's.
 */
export const deleteSelection = z
  .strictObject(
    {
      ids,
      connection_id: connectionId,
      all: z
        .literal(true, { error: 'all: true, to delete every dead letter.' })
        .optional()
        .meta({ description: 'Every dead letter.', [ERROR_CODE]: 'invalid_all' }),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `Unknown field ${issue.keys.join(', ').slice(0, 200)}; send ${DELETE_SELECTIONS}.`
          : `Send a JSON object: ${DELETE_SELECTIONS}.`,
    },
  )
  .refine(...exactlyOne(['ids', 'connection_id', 'all']))

export type DeadLetterSelection = z.output<typeof deleteSelection>

/**
 * Relays the selected dead letters again, through the module (which logs it with `by`): the API
 * and the page's forms both act through here.
 */
export function replaySelected(
  proxy: ProxyMediatorControl,
  selection: DeadLetterSelection,
  by: string,
): Promise<DeadLetterReplayResult> {
  return selection.connection_id !== undefined
    ? proxy.replayDeadLettersOf(selection.connection_id, { by })
    : proxy.replayDeadLetters(selection.ids ?? [], { by })
}

/** Deletes the selected dead letters for good; resolves with how many there were. */
export function deleteSelected(
  proxy: ProxyMediatorControl,
  selection: DeadLetterSelection,
  by: string,
): Promise<number> {
  return selection.ids !== undefined
    ? proxy.deleteDeadLetters(selection.ids, { by })
    : proxy.deleteAllDeadLetters({ connectionId: selection.connection_id, by })
}
