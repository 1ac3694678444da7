import { MediatorUnreachableError } from './MediatorUnreachableError'

/**
 * The external mediator answered a keylist update and did not take every change. Asking again
 * would get the same answer, unlike a mediator that did not answer at all. Maps to HTTP 502, as
 * its parent does.
 */
export class KeylistUpdateRefusedError extends MediatorUnreachableError {}
