import { ProxyMediatorError } from './ProxyMediatorError'

/** The external mediator did not answer, or refused mediation. Maps to HTTP 502. */
export class MediatorUnreachableError extends ProxyMediatorError {}
