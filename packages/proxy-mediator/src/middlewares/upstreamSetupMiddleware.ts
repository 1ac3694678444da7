import { MediationDenyMessage, ProblemReportMessage } from '@credo-ts/core'
import { UpstreamSetupWatch } from '../services/upstream/UpstreamSetupWatch'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/**
 * While an external mediator is being set up, hands `UpstreamSetupWatch` the reason it fails as
 * it happens: a problem report or a mediate-deny it sends, or the error Credo (or the module)
 * throws on its answer. Registered first, so that it sees what the other middlewares throw. The
 * message is handled exactly as before; outside a set-up this costs one property read.
 */
export const upstreamSetupMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { agentContext, message, connection } = messageContext
  const watch = agentContext.dependencyManager.resolve(UpstreamSetupWatch)
  if (!watch.active) return next()
  const about = { connectionId: connection?.id, threadId: message.threadId }
  const refusal = refusalIn(message)
  if (refusal) await watch.report(agentContext, about, refusal)
  try {
    await next()
  } catch (error) {
    await watch.report(agentContext, about, `${(error as Error).message}`)
    throw error
  }
}

function refusalIn(message: unknown): string | undefined {
  if (message instanceof MediationDenyMessage) return 'The external mediator denied mediation (mediate-deny).'
  if (message instanceof ProblemReportMessage) {
    const { en, code } = message.description ?? {}
    return `The external mediator answered with a problem report: ${en ?? code ?? 'no description'}${
      en && code ? ` (${code})` : ''
    }`
  }
  return undefined
}
