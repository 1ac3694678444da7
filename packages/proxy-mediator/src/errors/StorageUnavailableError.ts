import { ProxyMediatorError } from './ProxyMediatorError'

/**
 * The proxy's store takes no writes (a full disk), so a forward posted straight to the proxy cannot
 * be kept: the sender should try again later. Maps to HTTP 503 with Retry-After.
 */
export class StorageUnavailableError extends ProxyMediatorError {
  public constructor(
    message: string,
    /** When to try again. */
    public readonly retryAfterSeconds: number,
  ) {
    super(message)
  }
}
