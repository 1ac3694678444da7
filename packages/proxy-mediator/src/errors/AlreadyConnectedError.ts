import { ProxyMediatorError } from './ProxyMediatorError'

/** An external mediator is already configured; a second one is refused. Maps to HTTP 409. */
export class AlreadyConnectedError extends ProxyMediatorError {}
