import type { InboundMessageContext } from '@credo-ts/core'

/** Credo's middleware signature (`DependencyManager.registerMessageHandlerMiddleware`), not exported from its index. */
export type MessageHandlerMiddleware = (
  messageContext: InboundMessageContext,
  next: () => Promise<void>,
) => Promise<void>
