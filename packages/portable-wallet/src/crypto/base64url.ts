/**
 * Base64url as DIDComm v1 uses it: writers omit the padding, readers must accept it with or
 * without. Some older agents wrote the standard alphabet, so the reader accepts `+` and `/` too.
 */
const BASE64_ANY_ALPHABET = /^[A-Za-z0-9_\-+/]*={0,2}$/
const EQUALS = 0x3d

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** A fresh Uint8Array of its own (not a view of Node's shared Buffer pool). */
export function fromBase64Url(text: string): Uint8Array {
  return new Uint8Array(decodeBase64Url(text))
}

/**
 * The same checks as `fromBase64Url`, with no copy: a Buffer that may be a view of Node's
 * shared pool, for bytes that are read once (envelope fields handed to libsodium).
 */
export function decodeBase64Url(text: string): Buffer {
  if (typeof text !== 'string' || !BASE64_ANY_ALPHABET.test(text)) {
    throw new Error('Invalid base64url value')
  }
  let unpaddedLength = text.length
  while (unpaddedLength > 0 && text.charCodeAt(unpaddedLength - 1) === EQUALS) unpaddedLength--
  // A length of 1 mod 4 can't be produced by any byte string; Node would silently drop it.
  if (unpaddedLength % 4 === 1) {
    throw new Error('Invalid base64url length')
  }
  // Node's base64 decoder reads both alphabets and stops at the padding.
  return Buffer.from(text, 'base64')
}
