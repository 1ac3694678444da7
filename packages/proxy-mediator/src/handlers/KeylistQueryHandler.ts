import type { MessageHandler, MessageHandlerInboundMessage } from '@credo-ts/core'
import { KeylistQueryMessage } from '../messages/KeylistQueryMessage'
import { DownstreamMediationService } from '../services/downstream/DownstreamMediationService'

/** Resolves its service per message: it is registered before the mediator modules it depends on. */
export class KeylistQueryHandler implements MessageHandler {
  public supportedMessages = [KeylistQueryMessage]

  public async handle(messageContext: MessageHandlerInboundMessage<KeylistQueryHandler>) {
    return messageContext.agentContext.dependencyManager
      .resolve(DownstreamMediationService)
      .createKeylist(messageContext)
  }
}
