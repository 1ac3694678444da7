/**
 * Base64url as DIDComm v1 uses it: writers omit the padding, readers must accept it with or
 * without. Some older agents wrote the standard alphabet, so the reader accepts `+` and `/` too.
 */
const BASE64_ANY_ALPHABET = /^[A-Za-z0-9_\-+/]*={0,2}$/

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

export function fromBase64Url(text: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64_ANY_ALPHABET.test(text)) {
    throw new Error('Invalid base64url value')
  }
  const unpadded = text.replace(/=+$/, '')
  // A length of 1 mod 4 can't be produced by any byte string; Node would silently drop it.
  if (unpadded.length % 4 === 1) {
    throw new Error('Invalid base64url length')
  }
  return new Uint8Array(Buffer.from(unpadded, 'base64'))
}
