import { CredoError } from '@credo-ts/core'

/** Base of every error the proxy mediator module throws on purpose. */
export class ProxyMediatorError extends CredoError {}
