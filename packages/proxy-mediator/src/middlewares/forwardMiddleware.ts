import { ForwardMessage, JsonTransformer } from '@credo-ts/core'
import { RelayPipeline } from '../services/RelayPipeline'
import { UpstreamChannel } from '../services/UpstreamChannel'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/**
 * A forward that Credo's pipeline decrypted (a pickup 1.0 batch, or implicit pickup before the
 * channel knows the socket) goes to the relay instead of Credo's handler, which would throw and
 * drop a forward to a key no agent registered. There is no acknowledgement to withhold, so the
 * relay keeps it in the outbox until the agent answered.
 */
export const forwardMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext, connection } = messageContext
  if (!(message instanceof ForwardMessage)) return next()
  const { dependencyManager } = agentContext
  dependencyManager.resolve(UpstreamChannel).notePickup(connection?.id)
  await dependencyManager
    .resolve(RelayPipeline)
    .submit(agentContext, { plaintext: JsonTransformer.toJSON(message) }, { kind: 'stream' })
}
