import { boxBeforeNm, boxSeal, boxSealOpen } from '../cryptoBox'
import { type Sodium, loadSodium } from '../sodium'

/**
 * The OpenSSL-backed X25519 must give libsodium's bytes exactly: each function is checked against
 * libsodium's own, both ways, with plain box keys and with keys converted from Ed25519 (what the
 * wallet uses), and refuses what libsodium refuses.
 */
describe('crypto_box with OpenSSL X25519', () => {
  let sodium: Sodium

  beforeAll(async () => {
    sodium = await loadSodium()
  })

  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

  function ed25519DerivedBoxKeyPair() {
    const signing = sodium.crypto_sign_keypair()
    return {
      publicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(signing.publicKey),
      privateKey: sodium.crypto_sign_ed25519_sk_to_curve25519(signing.privateKey),
    }
  }

  it('computes the same box key as crypto_box_beforenm', () => {
    for (let i = 0; i < 20; i++) {
      const ours = i % 2 ? sodium.crypto_box_keypair() : ed25519DerivedBoxKeyPair()
      const peer = sodium.crypto_box_keypair()
      expect(hex(boxBeforeNm(peer.publicKey, ours.privateKey))).toBe(
        hex(sodium.crypto_box_beforenm(peer.publicKey, ours.privateKey)),
      )
    }
  })

  it('opens what crypto_box_seal sealed', () => {
    const recipient = ed25519DerivedBoxKeyPair()
    const message = sodium.randombytes_buf(32)
    const sealed = sodium.crypto_box_seal(message, recipient.publicKey)
    expect(hex(boxSealOpen(sealed, recipient.publicKey, recipient.privateKey))).toBe(hex(message))
  })

  it('seals what crypto_box_seal_open opens, with a fresh ephemeral key each time', () => {
    const recipient = ed25519DerivedBoxKeyPair()
    const message = sodium.from_string('4UDmq8cHR1TUXa8crZVRSvLRoDbbekz6h1NYwaLxRyT5')
    const first = boxSeal(message, recipient.publicKey)
    const second = boxSeal(message, recipient.publicKey)
    expect(first.length).toBe(message.length + sodium.crypto_box_SEALBYTES)
    expect(hex(first.subarray(0, 32))).not.toBe(hex(second.subarray(0, 32)))
    for (const sealed of [first, second]) {
      expect(hex(sodium.crypto_box_seal_open(sealed, recipient.publicKey, recipient.privateKey))).toBe(hex(message))
    }
  })

  it('refuses a box sealed to another key, altered, or too short', () => {
    const recipient = sodium.crypto_box_keypair()
    const other = sodium.crypto_box_keypair()
    const sealed = sodium.crypto_box_seal(sodium.randombytes_buf(32), other.publicKey)
    expect(() => boxSealOpen(sealed, recipient.publicKey, recipient.privateKey)).toThrow()

    const mine = sodium.crypto_box_seal(sodium.randombytes_buf(32), recipient.publicKey)
    const altered = Uint8Array.from(mine)
    altered[altered.length - 1] ^= 1
    expect(() => boxSealOpen(altered, recipient.publicKey, recipient.privateKey)).toThrow()
    expect(() => boxSealOpen(mine.subarray(0, 40), recipient.publicKey, recipient.privateKey)).toThrow(/too short/)
  })

  it('refuses a low-order ephemeral key, as libsodium does', () => {
    const recipient = sodium.crypto_box_keypair()
    // The point of order 1 (u = 0): X25519 with it is all zeros whatever the scalar.
    const sealed = new Uint8Array(32 + 48)
    expect(() => sodium.crypto_box_seal_open(sealed, recipient.publicKey, recipient.privateKey)).toThrow()
    expect(() => boxSealOpen(sealed, recipient.publicKey, recipient.privateKey)).toThrow()
    expect(() => boxBeforeNm(new Uint8Array(32), recipient.privateKey)).toThrow()
  })

  it('refuses keys that are not 32 bytes', () => {
    const recipient = sodium.crypto_box_keypair()
    expect(() => boxBeforeNm(new Uint8Array(31), recipient.privateKey)).toThrow(/public key length/)
    expect(() => boxBeforeNm(recipient.publicKey, new Uint8Array(33))).toThrow(/secret key length/)
  })
})
