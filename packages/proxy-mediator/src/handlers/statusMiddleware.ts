import {
  MessagePickupModuleConfig,
  MessageSender,
  OutboundMessageContext,
  V2DeliveryRequestMessage,
  V2StatusMessage,
} from '@credo-ts/core'
import { ProxyMediatorStateService } from '../services/ProxyMediatorStateService'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/**
 * Answers the external mediator's pickup 2.0 `status` with a `delivery-request` over the
 * websocket. Credo's own handler sends its answer as a plain response, which goes out over the
 * mediator's first endpoint, HTTP, costing a request per status and moving the delivery off
 * the socket.
 */
export const statusMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext, connection } = messageContext
  const state = agentContext.dependencyManager.resolve(ProxyMediatorStateService).current
  if (!(message instanceof V2StatusMessage) || !connection || connection.id !== state?.mediatorConnectionId) {
    return next()
  }
  if (message.messageCount === 0) return
  const { maximumBatchSize } = agentContext.dependencyManager.resolve(MessagePickupModuleConfig)
  const request = new V2DeliveryRequestMessage({
    limit: Math.min(message.messageCount, maximumBatchSize),
    recipientKey: message.recipientKey,
  })
  await agentContext.dependencyManager
    .resolve(MessageSender)
    .sendMessage(new OutboundMessageContext(request, { agentContext, connection }), {
      transportPriority: { schemes: ['wss', 'ws'] },
    })
}
