import { type KeyPair, sodium, x25519PublicOf, x25519SecretOf } from './crypto'
import { b64url, fromB64, utf8 } from './encoding'

export interface Envelope {
  protected: string
  iv: string
  ciphertext: string
  tag: string
}

interface RecipientHeader {
  kid: string
  sender?: string | null
  iv?: string | null
}

export interface PackOptions {
  /**
   * How to write an anoncrypt recipient header: ACA-Py 0.8+ (Askar) leaves `sender` and `iv` out;
   * ACA-Py's older Python crypto and aries-staticagent write them as null.
   */
  anoncryptNulls?: boolean
}

/**
 * RFC 0019 pack: a random content key encrypts the message with ChaCha20-Poly1305 IETF and a
 * 12-byte nonce (the header's "xchacha20poly1305_ietf" is a historical name: indy-sdk, ACA-Py's
 * Python crypto and Askar all use the 12-byte IETF construction), with the protected header as
 * additional data; the key is sealed to each recipient (anoncrypt), or boxed from the sender with
 * the sender's verkey sealed beside it (authcrypt).
 */
export function pack(
  message: object,
  recipientVerkeys: string[],
  sender?: KeyPair,
  options: PackOptions = {},
): Envelope {
  const cek = sodium.crypto_aead_chacha20poly1305_ietf_keygen()
  const recipients = recipientVerkeys.map((verkey) => {
    const recipientX25519 = x25519PublicOf(verkey)
    if (!sender) {
      const header: RecipientHeader = options.anoncryptNulls ? { kid: verkey, sender: null, iv: null } : { kid: verkey }
      return { encrypted_key: b64url(sodium.crypto_box_seal(cek, recipientX25519)), header }
    }
    const nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES)
    return {
      encrypted_key: b64url(sodium.crypto_box_easy(cek, nonce, recipientX25519, x25519SecretOf(sender))),
      header: {
        kid: verkey,
        sender: b64url(sodium.crypto_box_seal(Buffer.from(sender.verkey, 'utf8'), recipientX25519)),
        iv: b64url(nonce),
      },
    }
  })
  const protectedHeader = b64url(
    JSON.stringify({
      enc: 'xchacha20poly1305_ietf',
      typ: 'JWM/1.0',
      alg: sender ? 'Authcrypt' : 'Anoncrypt',
      recipients,
    }),
  )
  const iv = sodium.randombytes_buf(sodium.crypto_aead_chacha20poly1305_ietf_NPUBBYTES)
  const { ciphertext, mac } = sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(
    Buffer.from(JSON.stringify(message), 'utf8'),
    Buffer.from(protectedHeader, 'ascii'),
    null,
    iv,
    cek,
  )
  return { protected: protectedHeader, iv: b64url(iv), ciphertext: b64url(ciphertext), tag: b64url(mac) }
}

export interface Unpacked {
  message: Record<string, unknown>
  recipientVerkey: string
  senderVerkey?: string
}

/** RFC 0019 unpack with whichever of `keys` the envelope is addressed to. */
export function unpack(envelope: Envelope, keys: KeyPair[]): Unpacked {
  const header = JSON.parse(utf8(fromB64(envelope.protected)))
  const recipient = (header.recipients as Array<{ encrypted_key: string; header: RecipientHeader }>).find((candidate) =>
    keys.some((key) => key.verkey === candidate.header.kid),
  )
  if (!recipient) throw new Error('The envelope is for none of our keys')
  const ours = keys.find((key) => key.verkey === recipient.header.kid) as KeyPair
  const ourX25519Public = x25519PublicOf(ours.verkey)
  const ourX25519Secret = x25519SecretOf(ours)
  let cek: Uint8Array
  let senderVerkey: string | undefined
  if (header.alg === 'Authcrypt') {
    const { sender, iv } = recipient.header
    if (!sender || !iv) throw new Error('Authcrypt header without sender or iv')
    senderVerkey = utf8(sodium.crypto_box_seal_open(fromB64(sender), ourX25519Public, ourX25519Secret))
    cek = sodium.crypto_box_open_easy(
      fromB64(recipient.encrypted_key),
      fromB64(iv),
      x25519PublicOf(senderVerkey),
      ourX25519Secret,
    )
  } else {
    cek = sodium.crypto_box_seal_open(fromB64(recipient.encrypted_key), ourX25519Public, ourX25519Secret)
  }
  const plaintext = sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(
    null,
    fromB64(envelope.ciphertext),
    fromB64(envelope.tag),
    Buffer.from(envelope.protected, 'ascii'),
    fromB64(envelope.iv),
    cek,
  )
  return { message: JSON.parse(utf8(plaintext)), recipientVerkey: ours.verkey, senderVerkey }
}
