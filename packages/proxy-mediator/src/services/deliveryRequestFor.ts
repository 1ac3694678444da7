import { type AgentContext, EventEmitter, MessagePickupModuleConfig, V2DeliveryRequestMessage } from '@credo-ts/core'
import { ProxyMediatorEventTypes, type UpstreamStatusReceivedEvent } from '../ProxyMediatorEvents'
import { sideEffect } from '../utils/sideEffect'

/**
 * What the proxy answers to an external mediator's status, however it came (through Credo, or on
 * the socket to the channel): it tells who counts held messages, and asks for what is held.
 */
export function deliveryRequestFor(
  agentContext: AgentContext,
  connectionId: string,
  messageCount: number,
  recipientKey?: string,
): V2DeliveryRequestMessage | undefined {
  const { dependencyManager } = agentContext
  sideEffect(() =>
    dependencyManager.resolve(EventEmitter).emit<UpstreamStatusReceivedEvent>(agentContext, {
      type: ProxyMediatorEventTypes.UpstreamStatusReceived,
      payload: { connectionId, messageCount },
    }),
  )
  if (!(messageCount > 0)) return undefined
  const { maximumBatchSize } = dependencyManager.resolve(MessagePickupModuleConfig)
  return new V2DeliveryRequestMessage({ limit: Math.min(messageCount, maximumBatchSize), recipientKey })
}
