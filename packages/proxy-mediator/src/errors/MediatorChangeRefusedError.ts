import { ProxyMediatorError } from './ProxyMediatorError'

/**
 * A change to the external mediators that would lose messages or leave no route, refused with what
 * to do instead (drain first, promote another first, or force). Maps to HTTP 409.
 */
export class MediatorChangeRefusedError extends ProxyMediatorError {}
