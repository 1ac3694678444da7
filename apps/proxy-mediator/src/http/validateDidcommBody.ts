import type { EncryptedMessage } from '@credo-ts/core'
import type { RequestHandler } from 'express'
import type { ProxyMediatorControlProvider } from './ProxyMediatorControl'
import { BadRequestError } from './errorResponses'

const ENVELOPE_PARTS = ['protected', 'iv', 'ciphertext', 'tag'] as const

/**
 * Checks the body of a DIDComm POST before Credo's transport sees it: Credo answers a body that
 * is not JSON with 500, and one that is JSON but no DIDComm message only after its 10 s
 * processing timeout, also with 500. Here both get 400 with a JSON error at once. A body is
 * let through when it is a DIDComm v1 envelope (`protected`, `iv`, `ciphertext`, `tag`) or a
 * plaintext message (`@type`). An envelope for none of the proxy's keys gets 400 as well:
 * Credo would fail to decrypt it, hold the request for 10 s, and answer 500. Runs after the
 * text parser, for the DIDComm content types only.
 */
export function validateDidcommBody(
  contentTypes: readonly string[],
  control: ProxyMediatorControlProvider,
): RequestHandler {
  return async (req, _res, next) => {
    if (typeof req.body !== 'string' || !contentTypes.includes(req.headers['content-type'] ?? '')) return next()
    let message: unknown
    try {
      message = JSON.parse(req.body)
    } catch {
      return next(new BadRequestError('The body is not JSON; a DIDComm v1 envelope was expected.', 'invalid_json'))
    }
    if (isEnvelope(message)) {
      const proxy = control()
      try {
        if (proxy && !(await proxy.isAddressedToProxy(message))) {
          return next(
            new BadRequestError('The envelope is not addressed to any key of this proxy.', 'unknown_recipient'),
          )
        }
      } catch (error) {
        return next(error)
      }
      return next()
    }
    if (!isDidcommMessage(message)) {
      return next(
        new BadRequestError(
          'The body is not a DIDComm message: expected an envelope with protected, iv, ciphertext and tag, or a plaintext message with @type.',
          'not_a_didcomm_message',
        ),
      )
    }
    next()
  }
}

function isEnvelope(message: unknown): message is EncryptedMessage {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return false
  const fields = message as Record<string, unknown>
  return ENVELOPE_PARTS.every((part) => typeof fields[part] === 'string')
}

function isDidcommMessage(message: unknown): boolean {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return false
  return typeof (message as Record<string, unknown>)['@type'] === 'string'
}
