import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'
import {
  KeylistUpdateMessage,
  MediationRepository,
  MediationRole,
  MediationState,
  ProblemReportError,
  TypedArrayEncoder,
} from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { UpstreamMediators } from '../services/UpstreamMediators'
import { toVerkey } from '../utils/keys'

/**
 * Lets Credo record an agent's keylist update, then removes the duplicates Credo's `add` leaves
 * behind. (The routing table follows the record's repository events: see AgentDirectory.)
 *
 * Credo answers an update with no granted mediation, or with a key that is not a key, by throwing
 * an error that reaches nobody; here the agent gets a problem report that says what to fix.
 */
export const keylistUpdateMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext, connection } = messageContext
  if (!(message instanceof KeylistUpdateMessage) || !connection) return next()
  const repository = agentContext.dependencyManager.resolve(MediationRepository)
  const before = await repository.findSingleByQuery(agentContext, {
    connectionId: connection.id,
    role: MediationRole.Mediator,
  })
  if (!before || before.state !== MediationState.Granted) {
    throw new ProblemReportError(
      'keylist-update refused: no mediation is granted on this connection; send a mediate-request first',
      {
        problemCode: 'request_not_accepted',
      },
    )
  }
  const invalid = message.updates.map((update) => update.recipientKey).filter((key) => !isEd25519Key(key))
  if (invalid.length > 0) {
    throw new ProblemReportError(
      `keylist-update refused: ${invalid.map((key) => `'${key}'`).join(', ')} is not an Ed25519 key (raw base58 or did:key)`,
      { problemCode: 'request_not_accepted' },
    )
  }
  const keysBefore = new Set(before.recipientKeys)
  await next()
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
  if (agentContext.dependencyManager.resolve(ProxyMediatorModuleConfig).relayMode === 'transparent') {
    // Before the agent's answer goes out, so that a sender using a new key right away is routed.
    const added = unique.filter((key) => !keysBefore.has(key))
    const removed = [...keysBefore].filter((key) => !unique.includes(key))
    await agentContext.dependencyManager.resolve(UpstreamMediators).mirrorAgentKeys(agentContext, added, removed)
  }
}

function isEd25519Key(key: unknown): boolean {
  if (typeof key !== 'string') return false
  try {
    return TypedArrayEncoder.fromBase58(toVerkey(key)).length === 32
  } catch {
    return false
  }
}
