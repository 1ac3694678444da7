import { createHash, timingSafeEqual } from 'node:crypto'
import type { Request, RequestHandler } from 'express'

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Rejects requests without the right `x-api-key` header with 401. The comparison is
 * constant-time over SHA-256 digests, so neither the content nor the length of the key leaks
 * through timing. With no key configured every request passes.
 */
export function requireApiKey(apiKey: string | undefined): RequestHandler {
  const hasKey = apiKeyCheck(apiKey)
  return (req, res, next) => {
    if (hasKey(req)) return next()
    res
      .status(401)
      .json({ error: 'unauthorized', detail: 'This route needs the admin API key in the x-api-key header.' })
  }
}

/** Whether a request carries the admin key; always true when no key is configured. */
export function apiKeyCheck(apiKey: string | undefined): (req: Request) => boolean {
  if (apiKey === undefined) return () => true
  const expected = digest(apiKey)
  return (req) => {
    const given = req.header('x-api-key')
    return given !== undefined && timingSafeEqual(digest(given), expected)
  }
}
