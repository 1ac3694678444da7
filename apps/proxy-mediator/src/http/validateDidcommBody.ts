import type { RequestHandler } from 'express'
import { BadRequestError } from './errorResponses'

const ENVELOPE_PARTS = ['protected', 'iv', 'ciphertext', 'tag'] as const

/**
 * Checks the body of a DIDComm POST before Credo's transport sees it: Credo answers a body that
 * is not JSON with 500, and one that is JSON but no DIDComm message only after its 10 s
 * processing timeout, also with 500. Here both get 400 with a JSON error at once. A body is
 * let through when it is a DIDComm v1 envelope (`protected`, `iv`, `ciphertext`, `tag`) or a
 * plaintext message (`@type`). Runs after the text parser, for the DIDComm content types only.
 */
export function validateDidcommBody(contentTypes: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    if (typeof req.body !== 'string' || !contentTypes.includes(req.headers['content-type'] ?? '')) return next()
    let message: unknown
    try {
      message = JSON.parse(req.body)
    } catch {
      return next(new BadRequestError('The body is not JSON; a DIDComm v1 envelope was expected.', 'invalid_json'))
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

function isDidcommMessage(message: unknown): boolean {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return false
  const fields = message as Record<string, unknown>
  if (ENVELOPE_PARTS.every((part) => typeof fields[part] === 'string')) return true
  return typeof fields['@type'] === 'string'
}
