import { MediationRequestMessage } from '@credo-ts/core'
import { DownstreamMediationService } from '../services/downstream/DownstreamMediationService'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/** Mediation requests are decided by the proxy's policy, not by Credo's auto-accept. */
export const mediationRequestMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  if (!(messageContext.message instanceof MediationRequestMessage)) return next()
  const service = messageContext.agentContext.dependencyManager.resolve(DownstreamMediationService)
  messageContext.responseMessage = await service.handleMediationRequest(
    messageContext as typeof messageContext & { message: MediationRequestMessage },
  )
}
