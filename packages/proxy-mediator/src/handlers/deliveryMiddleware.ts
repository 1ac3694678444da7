import { V2MessageDeliveryMessage } from '@credo-ts/core'
import { DeliveryProcessor } from '../services/DeliveryProcessor'
import { ProxyMediatorStateService } from '../services/ProxyMediatorStateService'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/**
 * Takes over pickup 2.0 `delivery` from the external mediator when it comes through Credo's
 * pipeline (over HTTP polling, or a websocket the fast path does not know yet).
 */
export const deliveryMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext, connection } = messageContext
  const state = agentContext.dependencyManager.resolve(ProxyMediatorStateService).current
  if (!(message instanceof V2MessageDeliveryMessage) || !connection || connection.id !== state?.mediatorConnectionId) {
    return next()
  }
  await agentContext.dependencyManager.resolve(DeliveryProcessor).process(
    agentContext,
    connection.id,
    (message.appendedAttachments ?? []).map((attachment) => ({
      id: attachment.id,
      envelope: attachment.getDataAsJson(),
    })),
  )
}
