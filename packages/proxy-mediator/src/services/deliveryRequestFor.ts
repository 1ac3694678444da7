import { type AgentContext, EventEmitter, MessagePickupModuleConfig, V2DeliveryRequestMessage } from '@credo-ts/core'
import { ProxyMediatorEventTypes, type UpstreamStatusReceivedEvent } from '../ProxyMediatorEvents'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { sideEffect } from '../utils/sideEffect'
import { RelayPipeline } from './RelayPipeline'

/**
 * What the proxy answers to an external mediator's status, however it came (through Credo, or on
 * the socket to the channel): it tells who counts held messages, and asks for what is held, as far
 * as the pickup window has room (`ProxyMediatorModuleConfig.pickupWindow`).
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
  const room =
    dependencyManager.resolve(ProxyMediatorModuleConfig).pickupWindow -
    dependencyManager.resolve(RelayPipeline).relaysInFlightFrom(connectionId)
  const limit = Math.min(messageCount, maximumBatchSize, room)
  if (limit < 1) return undefined
  return new V2DeliveryRequestMessage({ limit, recipientKey })
}
