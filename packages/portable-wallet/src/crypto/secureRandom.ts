import { randomFillSync } from 'node:crypto'

/**
 * Random bytes from Node's CSPRNG (OpenSSL's), a fresh array each call.
 *
 * libsodium.js gets its randomness from the same source, but 4 bytes per call into JavaScript:
 * measured, a 32-byte `randombytes_buf` cost 240 µs against 8 µs here, about half the CPU of
 * packing a small envelope.
 */
export function secureRandom(length: number): Uint8Array {
  return randomFillSync(new Uint8Array(length))
}
