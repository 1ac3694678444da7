import type { EncryptedMessage } from '@credo-ts/core'
import { isEncryptedEnvelope } from '@proxy-mediator/proxy-mediator'
import type { ProxyMediatorControl } from '../web/ProxyMediatorControl'
import { BadRequestError } from '../web/errorResponses'

export interface EnvelopeLimits {
  /** More recipients than this are refused before any key is looked up. */
  maxRecipients: number
  /** A longer `protected` header (base64url characters) is refused before it is decoded. */
  maxProtectedHeaderBytes: number
}

export interface InboundLimits extends EnvelopeLimits {
  /** A larger message (bytes of UTF-8) is refused before it is parsed. */
  maxMessageBytes: number
}

/** What becomes of one inbound DIDComm message, whatever brought it (an HTTP POST, a websocket frame). */
export type GateVerdict =
  /** Refused, with a code and a sentence; nothing else was done with it. */
  | { kind: 'refused'; refusal: BadRequestError }
  /** A forward, taken into the relay (in the outbox) without Credo's pipeline. */
  | { kind: 'taken' }
  /** For Credo's pipeline: an envelope for a key of this proxy that is not a forward it took. */
  | { kind: 'for-credo'; envelope: EncryptedMessage }
  /** The proxy is still starting: nothing could be looked up. */
  | { kind: 'starting'; envelope: EncryptedMessage }

/**
 * The one gate of every inbound DIDComm message, HTTP POST and websocket frame alike. What costs
 * nothing comes first and everything is refused with a reason, before any key is looked up: the
 * size, the protected header's length (before the body is parsed: parsing megabytes is most of what
 * a recipient flood would cost), JSON, plaintext (the proxy takes DIDComm from the internet only
 * encrypted), the recipient list. Then, one key look-up per recipient: an envelope for none of the
 * proxy's keys is refused. A forward is taken here too, without Credo's pipeline, or refused when
 * no agent registered its key; everything else goes on to Credo.
 */
export async function gateInboundMessage(
  raw: string | Buffer,
  control: ProxyMediatorControl | undefined,
  limits: InboundLimits,
): Promise<GateVerdict> {
  const refused = (refusal: BadRequestError): GateVerdict => ({ kind: 'refused', refusal })
  if (isLargerThan(raw, limits.maxMessageBytes)) {
    return refused(
      new BadRequestError(
        `The message is larger than ${limits.maxMessageBytes} bytes. Raise max-body-size if it should be accepted.`,
        'payload_too_large',
      ),
    )
  }
  // Read from the bytes as they came (a frame): a refused flood is never even decoded.
  if (protectedHeaderLength(raw) > limits.maxProtectedHeaderBytes) return refused(headerTooLarge(limits))
  let message: unknown
  try {
    message = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'))
  } catch {
    return refused(new BadRequestError('The body is not JSON; a DIDComm v1 envelope was expected.', 'invalid_json'))
  }
  if (!isEncryptedEnvelope(message)) {
    return refused(
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
  const recipientsRefusal = checkRecipients(message, limits)
  if (recipientsRefusal) return refused(recipientsRefusal)
  if (!control) return { kind: 'starting', envelope: message }
  if (!(await control.isAddressedToProxy(message))) {
    return refused(new BadRequestError('The envelope is not addressed to any key of this proxy.', 'unknown_recipient'))
  }
  const forward = await control.acceptForward(message)
  if (forward.kind === 'accepted') return { kind: 'taken' }
  if (forward.kind === 'refused') return refused(new BadRequestError(forward.reason, forward.code))
  return { kind: 'for-credo', envelope: message }
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

function isLargerThan(raw: string | Buffer, maxBytes: number): boolean {
  if (Buffer.isBuffer(raw)) return raw.length > maxBytes
  // A string's UTF-8 size is between its length and three times it: counted only in between.
  return raw.length > maxBytes || (raw.length * 3 > maxBytes && Buffer.byteLength(raw) > maxBytes)
}

/**
 * The length of the `protected` string of a raw envelope, found without parsing it (a base64url
 * value holds no quote, and is ASCII: characters and bytes count alike); 0 when there is none to
 * find, and the full parse decides.
 */
function protectedHeaderLength(raw: string | Buffer): number {
  const key = raw.indexOf('"protected"')
  if (key < 0) return 0
  const open = raw.indexOf('"', raw.indexOf(':', key + 11) + 1)
  if (open < 0) return 0
  const close = raw.indexOf('"', open + 1)
  return close < 0 ? 0 : close - open - 1
}

function isPlaintext(message: unknown): boolean {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return false
  return typeof (message as Record<string, unknown>)['@type'] === 'string'
}
