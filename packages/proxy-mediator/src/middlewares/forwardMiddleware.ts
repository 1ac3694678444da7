import { ForwardMessage, JsonTransformer, ProblemReportError } from '@credo-ts/core'
import { ProxyMediatorStateService } from '../ProxyMediatorStateService'
import { RelayPipeline } from '../services/relay/RelayPipeline'
import { UpstreamMediatorSet } from '../services/upstream/UpstreamMediatorSet'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/**
 * A forward that Credo's pipeline decrypted goes to the relay instead of Credo's handler, which
 * would throw and drop a forward to a key no agent registered.
 *
 * For the routing key, it came from a mediator (a pickup 1.0 batch, or implicit pickup before the
 * channel knows the socket): there is no acknowledgement to withhold, so the relay keeps it in the
 * outbox until the agent answered, or in the dead letters. For another key of the proxy, anybody
 * may have sent it (the runner takes those before Credo: `acceptForward`; a transport of another
 * app may not): one for a key no agent registered is refused with a problem report, not kept.
 */
export const forwardMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext, connection, recipientKey } = messageContext
  if (!(message instanceof ForwardMessage)) return next()
  const { dependencyManager } = agentContext
  const routingKey = await dependencyManager.resolve(ProxyMediatorStateService).proxyRoutingKey(agentContext)
  const fromMediator = recipientKey?.publicKeyBase58 === routingKey
  if (fromMediator) dependencyManager.resolve(UpstreamMediatorSet).notePickup(connection?.id)
  const submission = await dependencyManager
    .resolve(RelayPipeline)
    .submit(agentContext, { plaintext: JsonTransformer.toJSON(message) }, { kind: fromMediator ? 'stream' : 'posted' })
  // From a mediator, a refusal is already a dead letter (the mediator expects no answer).
  if (submission.kind === 'refused' && !fromMediator) {
    throw new ProblemReportError(`forward refused: ${submission.reason}`, { problemCode: submission.code })
  }
}
