import { type InboundMessageContext, KeylistUpdateMessage, OutboundMessageContext } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { AgentKeylists } from '../services/downstream/AgentKeylists'
import { UpstreamMediators } from '../services/upstream/UpstreamMediators'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/**
 * An agent's keylist-update goes to the proxy's keylist index (`AgentKeylists`) instead of Credo's
 * handler, which rewrites the whole keylist on every update; the agent gets the same answer.
 *
 * Credo answers an update with no granted mediation, or with a key that is not a key, by throwing
 * an error that reaches nobody; here the agent gets a problem report that says what to fix, as it
 * does past the per-agent key cap.
 */
export const keylistUpdateMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext, connection } = messageContext
  if (!(message instanceof KeylistUpdateMessage) || !connection) return next()
  const { dependencyManager } = agentContext
  const { response, added, removed } = await dependencyManager
    .resolve(AgentKeylists)
    .update(messageContext as unknown as InboundMessageContext<KeylistUpdateMessage>)
  if (dependencyManager.resolve(ProxyMediatorModuleConfig).relayMode === 'transparent') {
    // Before the agent's answer goes out, so that a sender using a new key right away is routed.
    await dependencyManager.resolve(UpstreamMediators).mirrorAgentKeys(agentContext, added, removed)
  }
  messageContext.responseMessage = new OutboundMessageContext(response, { agentContext, connection })
}
