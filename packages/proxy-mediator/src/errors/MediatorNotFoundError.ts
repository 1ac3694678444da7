import { ProxyMediatorError } from './ProxyMediatorError'

/** No external mediator of the proxy has this id. Maps to HTTP 404. */
export class MediatorNotFoundError extends ProxyMediatorError {}
