import type { EncryptedMessage } from '@credo-ts/core'
import { isEncryptedEnvelope } from '@proxy-mediator/proxy-mediator'
import type { RequestHandler } from 'express'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { BadRequestError } from './errorResponses'

export interface EnvelopeLimits {
  /** More recipients than this are refused before any key is looked up. */
  maxRecipients: number
  /** A longer `protected` header (base64url characters) is refused before it is decoded. */
  maxProtectedHeaderBytes: number
}

/**
 * Checks the body of a DIDComm POST before anything costly happens, and answers every refusal at
 * once with a 400 and a reason: a body that is not JSON, not an envelope (plaintext included: the
 * proxy takes DIDComm from the internet only encrypted), a protected header or a recipient list
 * over the limits, an envelope for none of the proxy's keys. A forward for the proxy's routing
 * key is taken here too, without Credo's pipeline: 202 once it is in the outbox, 400 when no
 * agent registered its key. Everything else goes on to the DIDComm transport.
 */
export function validateDidcommBody(
  contentTypes: readonly string[],
  control: ProxyMediatorControlProvider,
  limits: EnvelopeLimits,
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
    if (typeof req.body !== 'string') return next()
    // A header over the limit is refused before the body is parsed: parsing a body of megabytes is
    // most of what a recipient flood would cost.
    if (protectedHeaderLength(req.body) > limits.maxProtectedHeaderBytes) return next(headerTooLarge(limits))
    let message: unknown
    try {
      message = JSON.parse(req.body)
    } catch {
      return next(new BadRequestError('The body is not JSON; a DIDComm v1 envelope was expected.', 'invalid_json'))
    }
    if (!isEncryptedEnvelope(message)) {
      return next(
        isPlaintext(message)
          ? new BadRequestError(
              'Plaintext DIDComm messages are not accepted here; pack the message (RFC 0019) for a key of this proxy.',
              'plaintext_not_accepted',
            )
          : new BadRequestError(
              'The body is not a DIDComm v1 envelope: expected protected, iv, ciphertext and tag.',
              'not_a_didcomm_message',
            ),
      )
    }
    const refusal = checkRecipients(message, limits)
    if (refusal) return next(refusal)
    const proxy = control()
    if (!proxy) return next()
    try {
      if (!(await proxy.isAddressedToProxy(message))) {
        return next(new BadRequestError('The envelope is not addressed to any key of this proxy.', 'unknown_recipient'))
      }
      const forward = await proxy.acceptForward(message)
      if (forward.kind === 'accepted') return void res.status(202).end()
      if (forward.kind === 'refused') return next(new BadRequestError(forward.reason, forward.code))
    } catch (error) {
      return next(error)
    }
    next()
  }
}

/** The recipient list, bounded before it is read: its length sets the cost of the key look-ups. */
function checkRecipients(envelope: EncryptedMessage, limits: EnvelopeLimits): BadRequestError | undefined {
  if (envelope.protected.length > limits.maxProtectedHeaderBytes) return headerTooLarge(limits)
  let recipients: unknown
  try {
    recipients = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString('utf8'))?.recipients
  } catch {
    return new BadRequestError('The protected header is not base64url JSON.', 'bad_envelope')
  }
  if (!Array.isArray(recipients) || recipients.length === 0) {
    return new BadRequestError('The protected header lists no recipients.', 'bad_envelope')
  }
  if (recipients.length > limits.maxRecipients) {
    return new BadRequestError(
      `The envelope has ${recipients.length} recipients; at most ${limits.maxRecipients} are accepted (max-envelope-recipients).`,
      'too_many_recipients',
    )
  }
  return undefined
}

function headerTooLarge(limits: EnvelopeLimits): BadRequestError {
  return new BadRequestError(
    `The protected header is longer than ${limits.maxProtectedHeaderBytes} bytes; real envelopes name a handful of recipients.`,
    'header_too_large',
  )
}

/**
 * The length of the `protected` string of a raw envelope body, found without parsing it (a
 * base64url value holds no quote); 0 when there is none to find, and the full parse decides.
 */
function protectedHeaderLength(body: string): number {
  const key = body.indexOf('"protected"')
  if (key < 0) return 0
  const open = body.indexOf('"', body.indexOf(':', key + 11) + 1)
  if (open < 0) return 0
  const close = body.indexOf('"', open + 1)
  return close < 0 ? 0 : close - open - 1
}

function isPlaintext(message: unknown): boolean {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return false
  return typeof (message as Record<string, unknown>)['@type'] === 'string'
}
