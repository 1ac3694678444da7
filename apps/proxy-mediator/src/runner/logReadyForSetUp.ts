import type { Logger } from '@credo-ts/core'

export interface ReadyForSetUp {
  invitationUrl: string
  status: string
  endpoint: string
  /** Whether --admin-api-key is set. */
  adminKeySet: boolean
}

/**
 * The line that says the proxy is up. The agent invitation is a credential: whoever holds it can
 * become a mediated agent. Without an admin key anyone who reaches the port can take it anyway
 * (GET /invitation), so it is logged at info for the operator to copy; with one, only the key
 * holder may have it, and log collectors keep lines long and widely: it goes to debug.
 */
export function logReadyForSetUp(
  logger: Logger,
  { invitationUrl, status, endpoint, adminKeySet }: ReadyForSetUp,
): void {
  if (!adminKeySet) {
    logger.info('Proxy mediator ready for set-up', { invitationUrl, status, endpoint })
    return
  }
  logger.info('Proxy mediator ready for set-up; the agent invitation: GET /invitation with the admin key', {
    status,
    endpoint,
  })
  logger.debug('The agent invitation (a credential: whoever holds it can become a mediated agent)', { invitationUrl })
}
