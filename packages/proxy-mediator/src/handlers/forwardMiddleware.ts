import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'
import { ForwardMessage } from '@credo-ts/core'
import { AgentDirectory } from '../services/AgentDirectory'
import { OutboxService } from '../services/OutboxService'
import { RelayService } from '../services/RelayService'
import { UpstreamPickupService } from '../services/UpstreamPickupService'
import { isEncryptedEnvelope } from '../utils/envelope'
import { toVerkey } from '../utils/keys'

/**
 * A forward that came through Credo's pipeline: implicit pickup, pickup 1.0, or a sender
 * posting straight to the proxy. There is no acknowledgement to withhold, so the forward goes
 * to the durable outbox before it is relayed. A forward to a key no agent registered is
 * dead-lettered here instead of reaching Credo's handler, which would throw and drop it.
 */
export const forwardMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext } = messageContext
  if (!(message instanceof ForwardMessage)) return next()
  const resolve = agentContext.dependencyManager.resolve.bind(agentContext.dependencyManager)
  const relayService = resolve(RelayService)
  resolve(UpstreamPickupService).notePickup()

  let recipientKey: string
  try {
    recipientKey = toVerkey(message.to)
  } catch {
    relayService.deadLetter(agentContext, `forward "to" is not a key: ${message.to}`)
    return
  }
  if (!resolve(AgentDirectory).findByRecipientKey(recipientKey)) {
    relayService.deadLetter(agentContext, `no agent registered key ${recipientKey}`, recipientKey, message.message)
    return
  }
  if (!isEncryptedEnvelope(message.message)) {
    relayService.deadLetter(agentContext, 'forward "msg" is not an encrypted envelope', recipientKey)
    return
  }
  await resolve(OutboxService).accept(agentContext, { recipientKey, envelope: message.message })
}
