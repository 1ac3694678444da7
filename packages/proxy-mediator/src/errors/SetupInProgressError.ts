import { ProxyMediatorError } from './ProxyMediatorError'

/** A connection to an external mediator is already being made; maps to HTTP 409 `setup_in_progress`. */
export class SetupInProgressError extends ProxyMediatorError {}
