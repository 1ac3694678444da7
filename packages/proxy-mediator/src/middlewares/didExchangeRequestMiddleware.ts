import {
  type AgentContext,
  DidExchangeRequestMessage,
  DidExchangeResponseMessage,
  type InboundMessageContext,
} from '@credo-ts/core'
import { DidExchangeRefusedError } from '../errors/DidExchangeRefusedError'
import { AttachedDocDidExchangeService } from '../services/downstream/AttachedDocDidExchangeService'
import { replyInProtocolVersionOf } from '../utils/messageVersion'
import { longFormOfShortPeerDid4 } from '../utils/peerDid4'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/**
 * DID exchange requests from agents. Credo takes every request whose DID resolves; the module
 * takes those whose doc comes attached (see AttachedDocDidExchangeService), and hands Credo the
 * long form of a short did:peer:4 whose doc names it. Every response is then made one that ACA-Py
 * accepts: in the version it asked for, with the invitation as `pthid` (ACA-Py copies the thread
 * into its `complete`, whose schema requires it), and with an attached doc signed by the
 * invitation key, which ACA-Py verifies.
 */
export const didExchangeRequestMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext } = messageContext
  if (!(message instanceof DidExchangeRequestMessage)) return next()
  const service = agentContext.dependencyManager.resolve(AttachedDocDidExchangeService)
  const context = messageContext as InboundMessageContext<DidExchangeRequestMessage>
  if (service.takesRequest(message)) {
    try {
      messageContext.responseMessage = await service.processRequest(context)
    } catch (error) {
      const refusal = error instanceof DidExchangeRefusedError && (await service.refusalFor(context, error))
      if (!refusal) throw error
      agentContext.config.logger.warn((error as Error).message)
      messageContext.responseMessage = refusal
      return
    }
  } else {
    const longForm = longFormOfShortPeerDid4(message.did, message.didDoc)
    if (longForm) {
      // Credo resolves the long form and keeps the short one as an alternative DID of the connection.
      ;(message as { did: string }).did = longForm
      message.didDoc = undefined
    }
    await next()
  }
  await finishResponse(agentContext, service, context)
}

async function finishResponse(
  agentContext: AgentContext,
  service: AttachedDocDidExchangeService,
  { message, responseMessage }: InboundMessageContext<DidExchangeRequestMessage>,
) {
  const response = responseMessage?.message
  if (!(response instanceof DidExchangeResponseMessage)) return
  response.setThread({ threadId: message.threadId, parentThreadId: message.thread?.parentThreadId })
  replyInProtocolVersionOf(response, message)
  if (response.didDoc && responseMessage?.outOfBand) {
    await service.signWithInvitationKey(agentContext, responseMessage.outOfBand, response.didDoc)
  }
}
