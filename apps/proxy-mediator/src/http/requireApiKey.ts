import { createHash, timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Rejects requests without the right `x-api-key` header with 401. The comparison is
 * constant-time over SHA-256 digests, so neither the content nor the length of the key leaks
 * through timing. With no key configured every request passes.
 */
export function requireApiKey(apiKey: string | undefined): RequestHandler {
  if (apiKey === undefined) return (_req, _res, next) => next()
  const expected = digest(apiKey)
  return (req, res, next) => {
    const given = req.header('x-api-key')
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next()
    res
      .status(401)
      .json({ error: 'unauthorized', detail: 'This route needs the admin API key in the x-api-key header.' })
  }
}
