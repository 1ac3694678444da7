import type { EncryptedMessage } from '@credo-ts/core'
import type { RequestHandler, Response } from 'express'
import type { ProxyMediatorControlProvider } from '../web/ProxyMediatorControl'
import { BadRequestError } from '../web/errorResponses'
import { type InboundLimits, gateInboundMessage } from './gateInboundMessage'

/** Where the envelope that passed the gate waits for the DIDComm transport, parsed once. */
const GATED_ENVELOPE = 'gatedDidcommEnvelope'

/**
 * The HTTP side of the inbound gate: a DIDComm POST must say it is DIDComm, then its body goes
 * through `gateInboundMessage` like a websocket frame. A refusal is a 4xx with a reason at once;
 * a forward taken is a 202; anything else goes on to the DIDComm transport.
 */
export function validateDidcommBody(
  contentTypes: readonly string[],
  control: ProxyMediatorControlProvider,
  limits: InboundLimits,
): RequestHandler {
  return async (req, res, next) => {
    if (!contentTypes.includes(req.headers['content-type'] ?? '')) {
      return next(
        new BadRequestError(
          `The DIDComm endpoint takes ${contentTypes.join(' or ')}; this request is ${req.headers['content-type'] ?? 'without a content type'}.`,
          'unsupported_media_type',
        ),
      )
    }
    if (!Buffer.isBuffer(req.body)) return next()
    try {
      const verdict = await gateInboundMessage(req.body, control(), limits)
      if (verdict.kind === 'refused') return next(verdict.refusal)
      if (verdict.kind === 'taken') return void res.status(202).end()
      res.locals[GATED_ENVELOPE] = verdict.envelope
      next()
    } catch (error) {
      next(error)
    }
  }
}

/** The envelope the gate let through for this response's request, if it did. */
export function gatedEnvelopeOf(res: Response): EncryptedMessage | undefined {
  return res.locals[GATED_ENVELOPE] as EncryptedMessage | undefined
}
