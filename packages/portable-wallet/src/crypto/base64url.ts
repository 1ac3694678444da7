/**
 * Base64url as DIDComm v1 uses it: writers omit the padding, readers must accept it with or
 * without. Some older agents wrote the standard alphabet, so the reader accepts `+` and `/` too.
 */
const EQUALS = 0x3d
const MAX_PADDING = 2

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
 *
 * Node's decoder reads both alphabets, skips any other character and stops at a `=`, so a string
 * with anything but base64 characters and at most two `=` at its end decodes to fewer bytes than
 * its length says. That length check refuses what a scan of the alphabet would, without a second
 * pass over the string (a delivery's ciphertext is tens of kilobytes: the scan cost nearly as much
 * as the decode).
 */
export function decodeBase64Url(text: string): Buffer {
  if (typeof text !== 'string') throw new Error('Invalid base64url value')
  let unpaddedLength = text.length
  while (unpaddedLength > 0 && text.charCodeAt(unpaddedLength - 1) === EQUALS) unpaddedLength--
  if (text.length - unpaddedLength > MAX_PADDING) throw new Error('Invalid base64url value')
  // A length of 1 mod 4 can't be produced by any byte string; Node would silently drop it.
  if (unpaddedLength % 4 === 1) throw new Error('Invalid base64url length')
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length !== Math.floor((unpaddedLength * 3) / 4)) throw new Error('Invalid base64url value')
  return bytes
}
