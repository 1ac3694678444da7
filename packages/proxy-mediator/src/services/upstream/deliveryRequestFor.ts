import { type AgentContext, MessagePickupModuleConfig, V2DeliveryRequestMessage } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { RelayPipeline } from '../relay/RelayPipeline'
import type { UpstreamMediator } from './UpstreamMediator'

/**
 * What the proxy answers to an external mediator's status, however it came (through Credo, or on
 * the socket to the channel): the mediator notes what it holds, and what is held is asked for, as
 * far as the pickup window has room (`ProxyMediatorModuleConfig.pickupWindow`).
 */
export function deliveryRequestFor(
  agentContext: AgentContext,
  mediator: UpstreamMediator | undefined,
  messageCount: number,
  recipientKey?: string,
): V2DeliveryRequestMessage | undefined {
  mediator?.noteStatus(messageCount)
  if (!mediator || !(messageCount > 0)) return undefined
  const { dependencyManager } = agentContext
  const { maximumBatchSize } = dependencyManager.resolve(MessagePickupModuleConfig)
  const room = dependencyManager.resolve(ProxyMediatorModuleConfig).pickupWindow - mediator.relaysInFlight
  const limit = Math.min(messageCount, maximumBatchSize, room)
  if (limit < 1) return undefined
  return new V2DeliveryRequestMessage({ limit, recipientKey })
}
