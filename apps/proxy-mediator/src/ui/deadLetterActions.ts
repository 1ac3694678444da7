import type { ProxyMediatorControl } from '../web/ProxyMediatorControl'
import {
  type DeadLetterSelection,
  deleteSelected,
  deleteSelection,
  replaySelected,
  replaySelection,
} from '../web/deadLetterSelection'
import { readInput } from '../web/readInput'

/** What an action did, for the notice after it: fixed words and whole numbers only. */
export interface DeadLetterActionDone {
  done: 'dead-letters-replayed' | 'dead-letters-deleted'
  count: number
  refused?: number
}

/**
 * An action on dead letters, taken from the page: a form that posts to
 * `POST /ui/dead-letters/:action`. The route first answers with a confirmation page that says what
 * will happen, whose form posts the same again with `confirm=yes`; so it works without JavaScript.
 * It acts through the same functions as the API (`POST /dead-letters/replay`, `/delete`).
 */
export interface DeadLetterAction {
  /** The `:action` of the route. */
  name: 'replay' | 'delete'
  /** The button's text. */
  label: string
  /** What the confirmation page asks. */
  question(selection: DeadLetterSelection, agentName: (connectionId: string) => string): string
  /** What follows from it, on the confirmation page. */
  consequence: string
  /** The form's fields, read by the API's own schema of this action. */
  read(form: Record<string, unknown> | undefined): DeadLetterSelection
  run(control: ProxyMediatorControl, selection: DeadLetterSelection, by: string): Promise<DeadLetterActionDone>
}

export const DEAD_LETTER_ACTIONS: readonly DeadLetterAction[] = [
  {
    name: 'replay',
    label: 'Relay again',
    question: (selection, agentName) => `Relay ${describeSelection(selection, agentName)} again?`,
    consequence:
      'Each goes back into the outbox and is relayed from there, at least once, as a new message would be: the agent may see one twice if it got it before. One that cannot be taken (its key has no agent now, or it was too large to keep whole) stays a dead letter, and the notice counts it.',
    read: (form) => readInput(replaySelection, selectionOfForm(form)),
    run: async (control, selection, by) => {
      const result = await replaySelected(control, selection, by)
      return { done: 'dead-letters-replayed', count: result.replayed.length, refused: result.refused.length }
    },
  },
  {
    name: 'delete',
    label: 'Delete',
    question: (selection, agentName) => `Delete ${describeSelection(selection, agentName)} for good?`,
    consequence:
      'The proxy keeps no copy: what was in them can only come again from their sender (the external mediator acknowledged them when they were dead-lettered).',
    read: (form) => readInput(deleteSelection, selectionOfForm(form)),
    run: async (control, selection, by) => ({
      done: 'dead-letters-deleted',
      count: await deleteSelected(control, selection, by),
    }),
  },
]

export function findDeadLetterAction(name: string): DeadLetterAction | undefined {
  return DEAD_LETTER_ACTIONS.find((action) => action.name === name)
}

/** The confirmation page's field, and its value. */
export const CONFIRMED_FIELD = 'confirm'
export const CONFIRMED_VALUE = 'yes'

/** A form names its dead letters as the API's body does: `ids` (repeated), `connection_id`, or `all=yes`. */
function selectionOfForm(form: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    ids: form?.ids === undefined ? undefined : ([] as unknown[]).concat(form.ids),
    connection_id: form?.connection_id,
    all: form?.all === 'yes' ? true : form?.all,
  }
}

/** The form fields that name a selection again, for the confirmation page's form. */
export function selectionFields(selection: DeadLetterSelection): Array<[string, string]> {
  if (selection.ids) return selection.ids.map((id) => ['ids', id])
  if (selection.connection_id !== undefined) return [['connection_id', selection.connection_id]]
  return [['all', 'yes']]
}

function describeSelection(selection: DeadLetterSelection, agentName: (connectionId: string) => string): string {
  if (selection.ids)
    return selection.ids.length === 1 ? `dead letter ${selection.ids[0]}` : `${selection.ids.length} dead letters`
  if (selection.connection_id !== undefined) return `every dead letter of ${agentName(selection.connection_id)}`
  return 'every dead letter'
}
