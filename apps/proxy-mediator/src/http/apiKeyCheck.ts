import { createHash, timingSafeEqual } from 'node:crypto'
import type { Request } from 'express'

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Whether a request carries the admin key in its `x-api-key` header; always true when no key is
 * configured. The comparison is constant-time over SHA-256 digests, so neither the content nor the
 * length of the key leaks through timing. `AdminKeyGuard` is the one place that refuses with it.
 */
export function apiKeyCheck(apiKey: string | undefined): (req: Request) => boolean {
  if (apiKey === undefined) return () => true
  const expected = digest(apiKey)
  return (req) => {
    const given = req.header('x-api-key')
    return given !== undefined && timingSafeEqual(digest(given), expected)
  }
}
