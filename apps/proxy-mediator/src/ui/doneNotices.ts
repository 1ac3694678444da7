import { MEDIATOR_ACTIONS } from './mediatorActions'

/** What a redirect after a form may announce: fixed texts, so nothing of the request is reflected. */
const DONE_NOTICES: Record<string, string> = {
  'mediator-connected': 'Connected to the external mediator: mediation granted, pickup started.',
  'mediator-unchanged': 'The proxy is already set up with this external mediator; nothing was changed.',
  ...Object.fromEntries(MEDIATOR_ACTIONS.map((action) => [`mediator-${action.name}`, action.done])),
}

/** Notices that carry counts: still fixed words, with whole numbers read back as numbers only. */
const COUNTED_NOTICES: Record<string, (count: number, refused: number) => string> = {
  'dead-letters-replayed': (count, refused) =>
    `${count} dead ${count === 1 ? 'letter is' : 'letters are'} relayed again, from the outbox.${
      refused > 0
        ? ` ${refused} could not be taken and ${refused === 1 ? 'stays a dead letter' : 'stay dead letters'}: the log says why (its key has no agent now, or it was too large to keep whole).`
        : ''
    }`,
  'dead-letters-deleted': (count) => `${count} dead ${count === 1 ? 'letter was' : 'letters were'} deleted.`,
}

/** What a form did: a notice's name, and its counts. */
export interface DoneParts {
  done: string
  count?: number
  refused?: number
}

/** The query of the redirect after a form: what was done, and its counts. */
export function doneQuery({ done, count, refused }: DoneParts): string {
  const query = new URLSearchParams({ done })
  if (count !== undefined) query.set('count', String(count))
  if (refused !== undefined) query.set('refused', String(refused))
  return query.toString()
}

/** The notice of a page loaded after a form, from its query; undefined for anything else. */
export function doneNotice(query: Record<string, unknown>): string | undefined {
  const done = query.done
  if (typeof done !== 'string') return undefined
  if (hasOwn(DONE_NOTICES, done)) return DONE_NOTICES[done]
  if (!hasOwn(COUNTED_NOTICES, done)) return undefined
  return COUNTED_NOTICES[done](wholeNumber(query.count), wholeNumber(query.refused))
}

function wholeNumber(value: unknown): number {
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : 0
}

/** Only the table's own keys: `?done=constructor` is no notice. */
function hasOwn(table: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key)
}
