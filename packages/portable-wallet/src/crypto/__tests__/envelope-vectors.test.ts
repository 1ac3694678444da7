import type { EncryptedMessage } from '@credo-ts/core'

import { Buffer as CredoBuffer, KeyType, TypedArrayEncoder, WalletError } from '@credo-ts/core'
import sodium from 'libsodium-wrappers-sumo'

import { makeTestWallet, rawWalletConfig } from '../../__tests__/helpers/testWallet'
import type { PortableWallet } from '../../wallet/PortableWallet'

/**
 * Interop vectors for the DIDComm v1 envelope, built step by step with raw libsodium calls and
 * a base64url encoder written here, never with the wallet's own pack code. The wallet's unpack
 * must open them; and envelopes the wallet packs must open with raw libsodium, with the
 * protected header byte-for-byte in the shape Askar / indy-sdk / ACA-Py write.
 */

interface Party {
  verkey: string
  edPublic: Uint8Array
  x25519Public: Uint8Array
  x25519Secret: Uint8Array
  seed: Uint8Array
}

function party(seedChar: string): Party {
  const seed = new TextEncoder().encode(seedChar.repeat(32))
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed)
  return {
    verkey: TypedArrayEncoder.toBase58(publicKey),
    edPublic: publicKey,
    x25519Public: sodium.crypto_sign_ed25519_pk_to_curve25519(publicKey),
    x25519Secret: sodium.crypto_sign_ed25519_sk_to_curve25519(privateKey),
    seed,
  }
}

/** Hand-written base64url, so the vectors don't share an encoder with the wallet. */
function b64url(bytes: Uint8Array, padded: boolean): string {
  const standard = Buffer.from(bytes).toString('base64')
  const url = standard.replace(/\+/g, '-').replace(/\//g, '_')
  return padded ? url : url.replace(/=+$/, '')
}

const utf8 = (text: string) => new TextEncoder().encode(text)

interface VectorOptions {
  alg: string
  recipients: Party[]
  /** Authcrypt sender; also used to *inject* a sender into an Anoncrypt vector */
  sender?: Party
  /** Put an iv in the recipient header even when there is no sender */
  forceIv?: boolean
  /** Leave the iv out of the Authcrypt recipient header */
  omitIv?: boolean
  padded: boolean
  payloadJson: string
}

/** Builds an RFC 0019 envelope exactly as the spec describes, one primitive at a time. */
function buildEnvelope(options: VectorOptions): EncryptedMessage {
  const { padded } = options
  const cek = new Uint8Array(32).fill(0x42)

  const recipientJson = options.recipients.map((recipient) => {
    if (options.sender) {
      const nonce24 = new Uint8Array(24).fill(0x24)
      const encryptedKey = sodium.crypto_box_easy(cek, nonce24, recipient.x25519Public, options.sender.x25519Secret)
      const sealedSender = sodium.crypto_box_seal(utf8(options.sender.verkey), recipient.x25519Public)
      const iv = options.omitIv ? '' : `,"iv":"${b64url(nonce24, padded)}"`
      return `{"encrypted_key":"${b64url(encryptedKey, padded)}","header":{"kid":"${recipient.verkey}","sender":"${b64url(sealedSender, padded)}"${iv}}}`
    }
    const encryptedKey = sodium.crypto_box_seal(cek, recipient.x25519Public)
    const iv = options.forceIv ? `,"iv":"${b64url(new Uint8Array(24), padded)}"` : ''
    return `{"encrypted_key":"${b64url(encryptedKey, padded)}","header":{"kid":"${recipient.verkey}"${iv}}}`
  })

  const protectedJson = `{"enc":"xchacha20poly1305_ietf","typ":"JWM/1.0","alg":"${options.alg}","recipients":[${recipientJson.join(',')}]}`
  const protectedB64 = b64url(utf8(protectedJson), padded)

  const iv12 = new Uint8Array(12).fill(0x12)
  const { ciphertext, mac } = sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    utf8(options.payloadJson),
    utf8(protectedB64), // AAD: the protected string as transmitted
    null,
    iv12,
    cek,
  )
  return {
    protected: protectedB64,
    iv: b64url(iv12, padded),
    ciphertext: b64url(ciphertext, padded),
    tag: b64url(mac, padded),
  }
}

describe('DIDComm v1 envelope interop vectors', () => {
  let wallet: PortableWallet
  let alice: Party // sender, not in the wallet
  let bob: Party // ours: the wallet holds this key
  let carol: Party // another recipient, not in the wallet

  const payload = { '@type': 'https://didcomm.org/basicmessage/1.0/message', '@id': 'abcdef-0123456789', content: 'hi' }
  const unicodePayload = {
    '@type': 'https://didcomm.org/basicmessage/1.0/message',
    '@id': 'unicode-0123456789',
    content: 'héllo 👋🏽 Привет мир 你好世界 مرحبا',
  }

  beforeAll(async () => {
    await sodium.ready
    alice = party('0')
    bob = party('1')
    carol = party('2')
    wallet = makeTestWallet()
    await wallet.createAndOpen(rawWalletConfig('envelope-vectors'))
    const key = await wallet.createKey({ keyType: KeyType.Ed25519, seed: CredoBuffer.from(bob.seed) })
    expect(key.publicKeyBase58).toBe(bob.verkey)
  })

  afterAll(async () => {
    await wallet.delete()
  })

  describe('unpacking envelopes built with raw libsodium', () => {
    test('Anoncrypt, single recipient, unpadded', async () => {
      const envelope = buildEnvelope({
        alg: 'Anoncrypt',
        recipients: [bob],
        padded: false,
        payloadJson: JSON.stringify(payload),
      })
      const unpacked = await wallet.unpack(envelope)
      expect(unpacked).toEqual({ plaintextMessage: payload, senderKey: undefined, recipientKey: bob.verkey })
    })

    test('Authcrypt, our key is not the first recipient', async () => {
      const envelope = buildEnvelope({
        alg: 'Authcrypt',
        recipients: [carol, alice, bob],
        sender: alice,
        padded: false,
        payloadJson: JSON.stringify(payload),
      })
      const unpacked = await wallet.unpack(envelope)
      expect(unpacked.plaintextMessage).toEqual(payload)
      expect(unpacked.senderKey).toBe(alice.verkey)
      expect(unpacked.recipientKey).toBe(bob.verkey)
    })

    test.each(['Authcrypt', 'Anoncrypt'])('%s with padded base64url everywhere', async (alg) => {
      const envelope = buildEnvelope({
        alg,
        recipients: [carol, bob],
        sender: alg === 'Authcrypt' ? alice : undefined,
        padded: true,
        payloadJson: JSON.stringify(payload),
      })
      // The vector is only meaningful if padding actually occurs.
      expect([envelope.protected, envelope.iv, envelope.ciphertext, envelope.tag].some((v) => v.endsWith('='))).toBe(
        true,
      )
      expect(envelope.iv.endsWith('=')).toBe(false) // 12 bytes never pad; 16-byte tag always does
      expect(envelope.tag.endsWith('==')).toBe(true)
      const unpacked = await wallet.unpack(envelope)
      expect(unpacked.plaintextMessage).toEqual(payload)
      expect(unpacked.recipientKey).toBe(bob.verkey)
    })

    test.each(['Authcrypt', 'Anoncrypt'])('%s with UTF-8 content (emoji, Cyrillic, CJK, Arabic)', async (alg) => {
      const envelope = buildEnvelope({
        alg,
        recipients: [bob],
        sender: alg === 'Authcrypt' ? alice : undefined,
        padded: false,
        payloadJson: JSON.stringify(unicodePayload),
      })
      const unpacked = await wallet.unpack(envelope)
      expect(unpacked.plaintextMessage).toEqual(unicodePayload)
    })

    test('tampered ciphertext is rejected', async () => {
      const envelope = buildEnvelope({
        alg: 'Anoncrypt',
        recipients: [bob],
        padded: false,
        payloadJson: JSON.stringify(payload),
      })
      const ciphertext = Buffer.from(envelope.ciphertext, 'base64url')
      ciphertext[0] ^= 0x01
      await expect(wallet.unpack({ ...envelope, ciphertext: b64url(ciphertext, false) })).rejects.toThrow(WalletError)
    })

    test('tampered tag is rejected', async () => {
      const envelope = buildEnvelope({
        alg: 'Authcrypt',
        recipients: [bob],
        sender: alice,
        padded: false,
        payloadJson: JSON.stringify(payload),
      })
      const tag = Buffer.from(envelope.tag, 'base64url')
      tag[15] ^= 0x80
      await expect(wallet.unpack({ ...envelope, tag: b64url(tag, false) })).rejects.toThrow(WalletError)
    })

    test('tampered protected header (AAD) is rejected', async () => {
      const envelope = buildEnvelope({
        alg: 'Anoncrypt',
        recipients: [bob],
        padded: false,
        payloadJson: JSON.stringify(payload),
      })
      // Semantically the same header with one extra space: different AAD bytes, so the tag must fail.
      const headerText = Buffer.from(envelope.protected, 'base64url').toString('utf8')
      const altered = b64url(utf8(headerText.replace('"typ":"JWM/1.0"', '"typ": "JWM/1.0"')), false)
      expect(altered).not.toBe(envelope.protected)
      await expect(wallet.unpack({ ...envelope, protected: altered })).rejects.toThrow(WalletError)
    })

    test('unknown kid is rejected', async () => {
      const envelope = buildEnvelope({ alg: 'Anoncrypt', recipients: [carol, alice], padded: false, payloadJson: '{}' })
      await expect(wallet.unpack(envelope)).rejects.toThrow('No corresponding recipient key found')
    })

    test('unknown alg is rejected', async () => {
      const envelope = buildEnvelope({ alg: 'Foocrypt', recipients: [bob], padded: false, payloadJson: '{}' })
      await expect(wallet.unpack(envelope)).rejects.toThrow(/Unsupported pack algorithm/)
    })

    test('Anoncrypt with a sender in the recipient header is rejected', async () => {
      // Encrypt as Authcrypt (sender + iv present) but label the envelope Anoncrypt.
      const envelope = buildEnvelope({
        alg: 'Anoncrypt',
        recipients: [bob],
        sender: alice,
        padded: false,
        payloadJson: '{}',
      })
      await expect(wallet.unpack(envelope)).rejects.toThrow(/Anoncrypt/)
    })

    test('Anoncrypt with an iv in the recipient header is rejected', async () => {
      const envelope = buildEnvelope({
        alg: 'Anoncrypt',
        recipients: [bob],
        forceIv: true,
        padded: false,
        payloadJson: '{}',
      })
      await expect(wallet.unpack(envelope)).rejects.toThrow(/Anoncrypt/)
    })

    test('Authcrypt without iv is rejected', async () => {
      const envelope = buildEnvelope({
        alg: 'Authcrypt',
        recipients: [bob],
        sender: alice,
        omitIv: true,
        padded: false,
        payloadJson: '{}',
      })
      await expect(wallet.unpack(envelope)).rejects.toThrow(/sender and iv/)
    })

    test('Authcrypt without sender is rejected', async () => {
      const envelope = buildEnvelope({ alg: 'Authcrypt', recipients: [bob], padded: false, payloadJson: '{}' })
      await expect(wallet.unpack(envelope)).rejects.toThrow(/sender and iv/)
    })
  })

  describe('envelopes packed by the wallet, opened with raw libsodium', () => {
    function decodeProtected(envelope: EncryptedMessage) {
      const protectedText = Buffer.from(envelope.protected, 'base64url').toString('utf8')
      const header = JSON.parse(protectedText)
      return { protectedText, header }
    }

    function expectNoPadding(envelope: EncryptedMessage) {
      for (const field of ['protected', 'iv', 'ciphertext', 'tag'] as const) {
        expect(envelope[field]).toMatch(/^[A-Za-z0-9_-]+$/)
      }
      expect(Object.keys(envelope)).toEqual(['protected', 'iv', 'ciphertext', 'tag'])
    }

    function decryptContent(envelope: EncryptedMessage, cek: Uint8Array): unknown {
      const iv = Buffer.from(envelope.iv, 'base64url')
      expect(iv.length).toBe(12)
      const plaintext = sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(
        null,
        Buffer.from(envelope.ciphertext, 'base64url'),
        Buffer.from(envelope.tag, 'base64url'),
        utf8(envelope.protected),
        iv,
        cek,
      )
      return JSON.parse(sodium.to_string(plaintext))
    }

    test('Authcrypt from our key to two outside recipients', async () => {
      const envelope = await wallet.pack(unicodePayload, [alice.verkey, carol.verkey], bob.verkey)
      expectNoPadding(envelope)

      const { protectedText, header } = decodeProtected(envelope)
      // Compact JSON, fields in the canonical order.
      expect(JSON.stringify(header)).toBe(protectedText)
      expect(Object.keys(header)).toEqual(['enc', 'typ', 'alg', 'recipients'])
      expect(header.enc).toBe('xchacha20poly1305_ietf')
      expect(header.typ).toBe('JWM/1.0')
      expect(header.alg).toBe('Authcrypt')
      expect(header.recipients.map((r: { header: { kid: string } }) => r.header.kid)).toEqual([
        alice.verkey,
        carol.verkey,
      ])

      for (const [index, me] of [alice, carol].entries()) {
        const recipient = header.recipients[index]
        expect(Object.keys(recipient)).toEqual(['encrypted_key', 'header'])
        expect(Object.keys(recipient.header)).toEqual(['kid', 'sender', 'iv'])
        for (const value of [recipient.encrypted_key, recipient.header.sender, recipient.header.iv]) {
          expect(value).toMatch(/^[A-Za-z0-9_-]+$/)
        }

        const senderVerkey = sodium.to_string(
          sodium.crypto_box_seal_open(
            Buffer.from(recipient.header.sender, 'base64url'),
            me.x25519Public,
            me.x25519Secret,
          ),
        )
        expect(senderVerkey).toBe(bob.verkey)
        const nonce24 = Buffer.from(recipient.header.iv, 'base64url')
        expect(nonce24.length).toBe(24)
        const cek = sodium.crypto_box_open_easy(
          Buffer.from(recipient.encrypted_key, 'base64url'),
          nonce24,
          bob.x25519Public,
          me.x25519Secret,
        )
        expect(cek.length).toBe(32)
        expect(decryptContent(envelope, cek)).toEqual(unicodePayload)
      }
    })

    test('Anoncrypt to an outside recipient', async () => {
      const envelope = await wallet.pack(payload, [carol.verkey])
      expectNoPadding(envelope)

      const { protectedText, header } = decodeProtected(envelope)
      expect(JSON.stringify(header)).toBe(protectedText)
      expect(
        protectedText.startsWith('{"enc":"xchacha20poly1305_ietf","typ":"JWM/1.0","alg":"Anoncrypt","recipients":['),
      ).toBe(true)
      const [recipient] = header.recipients
      expect(recipient.header).toEqual({ kid: carol.verkey })
      expect(Object.keys(recipient.header)).toEqual(['kid'])

      const cek = sodium.crypto_box_seal_open(
        Buffer.from(recipient.encrypted_key, 'base64url'),
        carol.x25519Public,
        carol.x25519Secret,
      )
      expect(decryptContent(envelope, cek)).toEqual(payload)
    })

    test('every random value is fresh in each envelope: content key, nonces, sealed sender', async () => {
      const packs = await Promise.all([1, 2, 3].map(() => wallet.pack(payload, [alice.verkey], bob.verkey)))
      const fields = packs.map((envelope) => {
        const [recipient] = decodeProtected(envelope).header.recipients
        const cek = sodium.crypto_box_open_easy(
          Buffer.from(recipient.encrypted_key, 'base64url'),
          Buffer.from(recipient.header.iv, 'base64url'),
          bob.x25519Public,
          alice.x25519Secret,
        )
        expect(decryptContent(envelope, cek)).toEqual(payload)
        return {
          cek: Buffer.from(cek).toString('hex'),
          contentIv: envelope.iv,
          keyNonce: recipient.header.iv,
          sealedSender: recipient.header.sender,
        }
      })
      for (const name of ['cek', 'contentIv', 'keyNonce', 'sealedSender'] as const) {
        expect(new Set(fields.map((field) => field[name])).size).toBe(packs.length)
      }
    })

    test('packing with a sender key the wallet does not hold fails clearly', async () => {
      await expect(wallet.pack(payload, [carol.verkey], alice.verkey)).rejects.toThrow(/not in the wallet/)
    })
  })
})
