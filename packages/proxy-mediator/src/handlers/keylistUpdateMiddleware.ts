import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'
import { KeylistUpdateMessage, MediationRepository, MediationRole } from '@credo-ts/core'
import { AgentDirectory } from '../services/AgentDirectory'

/**
 * Lets Credo record an agent's keylist update, then removes the duplicates Credo's `add`
 * leaves behind and refreshes the in-memory routing table before the response goes out, so
 * a forward sent right after the agent's update already finds its key.
 */
export const keylistUpdateMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext, connection } = messageContext
  if (!(message instanceof KeylistUpdateMessage) || !connection) return next()
  await next()
  const repository = agentContext.dependencyManager.resolve(MediationRepository)
  const record = await repository.findSingleByQuery(agentContext, {
    connectionId: connection.id,
    role: MediationRole.Mediator,
  })
  if (!record) return
  const unique = [...new Set(record.recipientKeys)]
  if (unique.length !== record.recipientKeys.length) {
    record.recipientKeys = unique
    await repository.update(agentContext, record)
  }
  await agentContext.dependencyManager.resolve(AgentDirectory).refresh(agentContext, connection.id)
}
