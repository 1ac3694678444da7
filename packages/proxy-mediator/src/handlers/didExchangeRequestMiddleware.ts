import { DidExchangeRequestMessage, DidExchangeResponseMessage, type InboundMessageContext } from '@credo-ts/core'
import { DidExchangeRefusedError } from '../errors/DidExchangeRefusedError'
import { LegacyDidExchangeService } from '../services/LegacyDidExchangeService'
import { replyInProtocolVersionOf } from '../utils/messageVersion'
import { longFormOfShortPeerDid4 } from '../utils/peerDid4'
import type { MessageHandlerMiddleware } from './MessageHandlerMiddleware'

/**
 * DID exchange requests from agents. Credo takes every request with a resolvable DID; the proxy
 * takes the one shape Credo cannot (an unqualified DID with a legacy `did_doc~attach`, as ACA-Py
 * sends it), and hands Credo the long form of a short did:peer:4 whose doc names it. Every response is then made one that ACA-Py accepts: in the version it asked for,
 * with the invitation as `pthid`, which ACA-Py copies into the `complete` that its schema checks,
 * and with an attached doc signed by the invitation key, which ACA-Py verifies.
 */
export const didExchangeRequestMiddleware: MessageHandlerMiddleware = async (messageContext, next) => {
  const { message, agentContext } = messageContext
  if (!(message instanceof DidExchangeRequestMessage)) return next()
  const legacy = agentContext.dependencyManager.resolve(LegacyDidExchangeService)
  const context = messageContext as InboundMessageContext<DidExchangeRequestMessage>
  if (!legacy.isLegacyRequest(message)) {
    const longForm = longFormOfShortPeerDid4(message.did, message.didDoc)
    if (longForm) {
      // Credo resolves the long form and keeps the short one as an alternative DID of the connection.
      ;(message as { did: string }).did = longForm
      message.didDoc = undefined
    }
    await next()
    const outbound = messageContext.responseMessage
    const response = outbound?.message
    if (response instanceof DidExchangeResponseMessage) {
      response.setThread({ threadId: message.threadId, parentThreadId: message.thread?.parentThreadId })
      replyInProtocolVersionOf(response, message)
      if (response.didDoc && outbound?.outOfBand) {
        await legacy.signWithInvitationKey(agentContext, outbound.outOfBand, response.didDoc)
      }
    }
    return
  }
  try {
    messageContext.responseMessage = await legacy.processRequest(context)
  } catch (error) {
    const refusal = error instanceof DidExchangeRefusedError && (await legacy.refusalFor(context, error))
    if (!refusal) throw error
    agentContext.config.logger.warn((error as Error).message)
    messageContext.responseMessage = refusal
  }
}
