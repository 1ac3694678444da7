import { ProxyMediatorError } from './ProxyMediatorError'

/** The invitation URL could not be parsed, or is not a usable mediator invitation. Maps to HTTP 400. */
export class InvalidInvitationError extends ProxyMediatorError {}
