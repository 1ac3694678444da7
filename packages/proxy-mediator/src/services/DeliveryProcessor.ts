import {
  type AgentContext,
  AgentEventTypes,
  type AgentMessageReceivedEvent,
  type EncryptedMessage,
  EventEmitter,
  injectable,
} from '@credo-ts/core'
import { isEncryptedEnvelope, recipientKids } from '../utils/envelope'
import { PickupAcknowledger } from './PickupAcknowledger'
import { ProxyMediatorStateService } from './ProxyMediatorStateService'
import { RelayRetryLoop } from './RelayRetryLoop'
import { RelayService } from './RelayService'
import { UpstreamPickupService } from './UpstreamPickupService'

/** One message of a pickup 2.0 `delivery`: the queue's id for it, and the envelope. */
export interface PickedUpMessage {
  id: string
  envelope: unknown
}

/**
 * Handles the messages of a pickup 2.0 `delivery`: each forward for the proxy's routing key is
 * relayed on the fast path and acknowledged only once the agent answered 2xx (or once it can
 * never be relayed). It returns without waiting for the relays, so a slow agent never stalls
 * pickup. Stock Credo instead emits every attachment and acknowledges the batch at once.
 */
@injectable()
export class DeliveryProcessor {
  public constructor(
    private readonly state: ProxyMediatorStateService,
    private readonly pickup: UpstreamPickupService,
    private readonly relayService: RelayService,
    private readonly retryLoop: RelayRetryLoop,
    private readonly acknowledger: PickupAcknowledger,
    private readonly eventEmitter: EventEmitter,
  ) {}

  public async process(agentContext: AgentContext, connectionId: string, messages: PickedUpMessage[]): Promise<void> {
    const routingKey = await this.state.proxyRoutingKey(agentContext)
    const ack = (id: string) => this.acknowledger.acknowledge(agentContext, connectionId, id)
    this.pickup.notePickup()

    for (const { id, envelope } of messages) {
      if (this.acknowledger.wasAcknowledged(id)) {
        // Offered again before our acknowledgement landed: acknowledging again is enough.
        ack(id)
        continue
      }
      // A copy re-offered while the first is still being relayed: the first one will acknowledge.
      if (!this.acknowledger.claim(id)) continue
      if (!isEncryptedEnvelope(envelope)) {
        this.relayService.deadLetter(
          agentContext,
          `pickup attachment ${id} is not an encrypted envelope`,
          undefined,
          envelope,
        )
        this.settle(ack, id)
        continue
      }
      if (!recipientKids(envelope).includes(routingKey)) {
        // Not a forward for the proxy's routing key (e.g. a message from the mediator itself):
        // Credo processes it as usual.
        this.eventEmitter.emit<AgentMessageReceivedEvent>(agentContext, {
          type: AgentEventTypes.AgentMessageReceived,
          payload: { message: envelope, contextCorrelationId: agentContext.contextCorrelationId },
        })
        this.settle(ack, id)
        continue
      }
      void this.relay(agentContext, id, envelope, ack)
    }
  }

  private async relay(agentContext: AgentContext, id: string, envelope: EncryptedMessage, ack: (id: string) => void) {
    try {
      const unwrapped = await this.relayService.unwrap(agentContext, envelope)
      if (unwrapped.kind === 'dead-letter') {
        this.relayService.deadLetter(agentContext, unwrapped.reason, undefined, envelope)
        ack(id)
      } else if (unwrapped.kind === 'not-forward') {
        agentContext.config.logger.warn(
          `Ignored a non-forward message sent to the routing key: ${unwrapped.plaintext['@type']}`,
        )
        ack(id)
      } else if ((await this.retryLoop.relayUntilSettled(agentContext, unwrapped.forward)) !== 'stopped') {
        ack(id)
      }
    } finally {
      this.acknowledger.release(id)
    }
  }

  private settle(ack: (id: string) => void, id: string) {
    ack(id)
    this.acknowledger.release(id)
  }
}
