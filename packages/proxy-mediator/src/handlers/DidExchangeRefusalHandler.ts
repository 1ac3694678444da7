import {
  ConnectionService,
  DidExchangeRole,
  DidExchangeState,
  type MessageHandler,
  type MessageHandlerInboundMessage,
} from '@credo-ts/core'
import { DidExchangeRefusalMessage } from '../messages/DidExchangeRefusalMessage'

/**
 * RFC 0023's `problem_report` answering a DID exchange request of the proxy (ACA-Py sends one when
 * it refuses the request: an invitation used already, a doc it cannot take). Credo 0.5 has no
 * handler for it and drops it as an unsupported type; here the connection records the reason and
 * is abandoned, as Credo does for a connections 1.0 problem report.
 */
export class DidExchangeRefusalHandler implements MessageHandler {
  public supportedMessages = [DidExchangeRefusalMessage]

  public async handle({ agentContext, message }: MessageHandlerInboundMessage<DidExchangeRefusalHandler>) {
    const connectionService = agentContext.dependencyManager.resolve(ConnectionService)
    const connection = await connectionService
      .getByRoleAndThreadId(agentContext, DidExchangeRole.Requester, message.threadId)
      .catch(() => undefined)
    if (!connection || connection.state !== DidExchangeState.RequestSent) return undefined
    const { code, en } = message.description
    connection.errorMessage = `${code} : ${en}`
    await connectionService.update(agentContext, connection)
    await connectionService.updateState(agentContext, connection, DidExchangeState.Abandoned)
    return undefined
  }
}
