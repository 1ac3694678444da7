import {
  type InboundMessageContext,
  MessagePickupModuleConfig,
  MessageSender,
  OutboundMessageContext,
  V2DeliveryRequestMessage,
  type V2MessageDeliveryMessage,
  V2MessagePickupProtocol,
  type V2MessagesReceivedMessage,
  type V2StatusMessage,
} from '@credo-ts/core'
import { UpstreamChannel } from '../services/upstream/UpstreamChannel'
import { UpstreamMediatorSet } from '../services/upstream/UpstreamMediatorSet'
import { deliveryRequestFor } from '../services/upstream/deliveryRequestFor'

/**
 * Pickup 2.0 as the proxy needs it on the recipient side, through Credo's own seam
 * (`MessagePickupModule({ protocols })`). For a connection to an external mediator:
 * - a `delivery` goes to the upstream channel, which relays each forward and acknowledges it only
 *   after the agent answered 2xx; stock Credo acknowledges the whole batch at once, before anything
 *   was relayed;
 * - a `status` is answered with a `delivery-request` over the websocket; stock Credo answers as a
 *   plain response, which goes out over the mediator's first endpoint (HTTP), costing a request per
 *   status and moving the delivery off the socket.
 * Every other connection, and every other message, is Credo's as before.
 */
export class ProxyPickupV2Protocol extends V2MessagePickupProtocol {
  public override async processDelivery(
    messageContext: InboundMessageContext<V2MessageDeliveryMessage>,
  ): Promise<V2MessagesReceivedMessage> {
    const { agentContext, connection, message } = messageContext
    const { dependencyManager } = agentContext
    const mediator = connection ? dependencyManager.resolve(UpstreamMediatorSet).get(connection.id) : undefined
    if (!mediator) return super.processDelivery(messageContext)
    await dependencyManager.resolve(UpstreamChannel).receiveDelivery(
      agentContext,
      mediator,
      (message.appendedAttachments ?? []).map((attachment) => ({
        id: attachment.id,
        envelope: attachment.getDataAsJson(),
      })),
    )
    // No messages-received now: the channel acknowledges each message once relayed. Credo's handler
    // sends nothing for a null answer, though the declared type does not say so.
    return null as unknown as V2MessagesReceivedMessage
  }

  public override async processStatus(
    messageContext: InboundMessageContext<V2StatusMessage>,
  ): Promise<V2DeliveryRequestMessage | null> {
    const { agentContext, connection, message } = messageContext
    const { dependencyManager } = agentContext
    const mediator = connection ? dependencyManager.resolve(UpstreamMediatorSet).get(connection.id) : undefined
    if (!connection || !mediator) return super.processStatus(messageContext)
    const request = deliveryRequestFor(agentContext, mediator, message.messageCount, message.recipientKey)
    if (!request) return null
    const polling = mediator.entry.pickupMode === 'poll-v2'
    await dependencyManager
      .resolve(MessageSender)
      .sendMessage(new OutboundMessageContext(request, { agentContext, connection }), {
        // Only the socket, unless the mediator offers none (polling): over HTTP the delivery comes back
        // in the response body, past the channel and through Credo's whole pipeline (measured: a tenth
        // of the runner's CPU).
        transportPriority: { schemes: ['wss', 'ws'], restrictive: !polling },
      })
    return null
  }
}
