import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * Whether what was given is this secret, compared in constant time over SHA-256 digests, so that
 * neither the content nor the length of the secret leaks through timing. The one comparison of a
 * secret in the runner: the admin key (`x-api-key`, the page's sign-in) and the page's CSRF tokens.
 */
export function secretMatcher(secret: string): (given: unknown) => boolean {
  const expected = digest(secret)
  return (given) => typeof given === 'string' && timingSafeEqual(digest(given), expected)
}
