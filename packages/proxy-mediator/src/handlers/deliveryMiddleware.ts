import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'
import {
  AgentEventTypes,
  type AgentMessageReceivedEvent,
  type EncryptedMessage,
  EventEmitter,
  V2MessageDeliveryMessage,
} from '@credo-ts/core'
import { PickupAcknowledger } from '../services/PickupAcknowledger'
import { ProxyMediatorStateService } from '../services/ProxyMediatorStateService'
import { RelayRetryLoop } from '../services/RelayRetryLoop'
import { RelayService } from '../services/RelayService'
import { UpstreamPickupService } from '../services/UpstreamPickupService'
import { isEncryptedEnvelope, recipientKids } from '../utils/envelope'

/**
 * Takes over pickup 2.0 `delivery` from the external mediator. Stock Credo emits each
 * attachment and acknowledges the batch at once, before anything is relayed; here each
 * forward is relayed on the fast path and acknowledged only once the agent answered 2xx.
 * The middleware returns without waiting for the relays, so a slow agent never stalls pickup.
 */
export const deliveryMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext, connection } = messageContext
  const state = agentContext.dependencyManager.resolve(ProxyMediatorStateService).current
  if (!(message instanceof V2MessageDeliveryMessage) || !connection || connection.id !== state?.mediatorConnectionId) {
    return next()
  }
  const resolve = agentContext.dependencyManager.resolve.bind(agentContext.dependencyManager)
  const pickup = resolve(UpstreamPickupService)
  const relayService = resolve(RelayService)
  const retryLoop = resolve(RelayRetryLoop)
  const acknowledger = resolve(PickupAcknowledger)
  const eventEmitter = resolve(EventEmitter)
  const routingKey = await resolve(ProxyMediatorStateService).proxyRoutingKey(agentContext)
  const ack = (id: string) => acknowledger.acknowledge(agentContext, connection.id, id)
  pickup.notePickup()

  for (const attachment of message.appendedAttachments ?? []) {
    const id = attachment.id
    if (acknowledger.wasAcknowledged(id)) {
      ack(id)
      continue
    }
    // A copy re-offered while the first is still being relayed: the first one will acknowledge.
    if (!acknowledger.claim(id)) continue
    const envelope = attachment.getDataAsJson<EncryptedMessage>()
    if (!isEncryptedEnvelope(envelope)) {
      relayService.deadLetter(agentContext, `pickup attachment ${id} is not an encrypted envelope`)
      ack(id)
      acknowledger.release(id)
      continue
    }
    if (!recipientKids(envelope).includes(routingKey)) {
      // Not a forward for the proxy's routing key (e.g. a message from the mediator itself):
      // Credo processes it as usual.
      eventEmitter.emit<AgentMessageReceivedEvent>(agentContext, {
        type: AgentEventTypes.AgentMessageReceived,
        payload: { message: envelope, contextCorrelationId: agentContext.contextCorrelationId },
      })
      ack(id)
      acknowledger.release(id)
      continue
    }
    void (async () => {
      try {
        const unwrapped = await relayService.unwrap(agentContext, envelope)
        if (unwrapped.kind === 'dead-letter') {
          relayService.deadLetter(agentContext, unwrapped.reason)
          ack(id)
        } else if (unwrapped.kind === 'not-forward') {
          agentContext.config.logger.warn(`Ignored a non-forward message sent to the routing key: ${unwrapped.plaintext['@type']}`)
          ack(id)
        } else if ((await retryLoop.relayUntilSettled(agentContext, unwrapped.forward)) !== 'stopped') {
          ack(id)
        }
      } finally {
        acknowledger.release(id)
      }
    })()
  }
}
