import { ClassValidationError, WalletError } from '@credo-ts/core'
import { BadRequestError } from '../web/errorResponses'

/**
 * Which failures of an inbound DIDComm message are the sender's doing, answered with a 400 and a
 * reason, and which are the proxy's own (anything else: a 500, logged with its stack).
 */
export function classifyInboundError(error: unknown): unknown {
  if (error instanceof WalletError) {
    return new BadRequestError(
      'The envelope cannot be decrypted with the key it names: it was not packed for this proxy, or it was altered.',
      'undecryptable',
    )
  }
  if (!(error instanceof Error)) return error
  if (
    error instanceof ClassValidationError ||
    /Unable to parse incoming message/.test(error.message) ||
    failedWhileReading(error)
  ) {
    return new BadRequestError(`The message is not a valid DIDComm message: ${firstLine(error)}`, 'invalid_message')
  }
  return error
}

/**
 * Credo's reading of a decrypted message can fail with a plain TypeError on a message that lacks
 * `@type` (its prefix rewrite reads it unchecked). Such a failure, raised while the message is
 * transformed, is still the sender's input.
 */
function failedWhileReading(error: Error): boolean {
  return /MessageReceiver\.(transformMessage|transformAndValidate)/.test(error.stack ?? '')
}

function firstLine(error: Error): string {
  return error.message.split('\n')[0].slice(0, 200)
}
