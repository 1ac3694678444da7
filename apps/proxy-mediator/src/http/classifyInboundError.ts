import { ClassValidationError, WalletError } from '@credo-ts/core'
import { BadRequestError } from './errorResponses'

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
  if (
    error instanceof ClassValidationError ||
    (error instanceof Error && /Unable to parse incoming message/.test(error.message))
  ) {
    return new BadRequestError(`The message is not a valid DIDComm message: ${firstLine(error)}`, 'invalid_message')
  }
  return error
}

function firstLine(error: Error): string {
  return error.message.split('\n')[0].slice(0, 200)
}
