import { type EnvelopeKeyPair, packDidcommV1, unpackDidcommV1 } from '@proxy-mediator/portable-wallet'
import { type BoxKeyPair, authDecrypt, authEncrypt, generateBoxKeyPair, readySodium, x25519PublicOf } from '../envelope'

// The pickup floor speaks to a real Credo mediator with these two functions. A floor whose
// envelopes were malformed, or that opened more than it should, would measure nothing; the
// wallet, checked against foreign vectors in its own package, is the independent side here.
const asWalletKey = (key: BoxKeyPair): EnvelopeKeyPair => ({
  publicKeyBase58: key.verkey,
  x25519PublicKey: key.x25519PublicKey,
  x25519SecretKey: key.x25519SecretKey,
})

describe("the bench floors' authcrypt", () => {
  let floor: BoxKeyPair
  let mediator: BoxKeyPair

  beforeAll(async () => {
    await readySodium()
    floor = generateBoxKeyPair()
    mediator = generateBoxKeyPair()
  })

  it('packs an authcrypt envelope that the wallet opens, naming the floor as its sender', () => {
    const plaintext = JSON.stringify({ '@type': 'https://didcomm.org/messagepickup/2.0/messages-received' })
    const envelope = authEncrypt(plaintext, floor, mediator, new Map())
    const unpacked = unpackDidcommV1(
      envelope,
      (kid) => (kid === mediator.verkey ? asWalletKey(mediator) : undefined),
      x25519PublicOf,
    )
    expect(unpacked.plaintextMessage).toEqual(JSON.parse(plaintext))
    expect(unpacked.senderKey).toBe(floor.verkey)
    expect(unpacked.recipientKey).toBe(mediator.verkey)
  })

  it("opens the wallet's authcrypt envelopes, with the box key of each sender computed once", () => {
    const sharedKeys = new Map<string, Uint8Array>()
    const messages = [{ n: 1 }, { n: 2 }].map((payload) =>
      packDidcommV1(payload, [floor.verkey], x25519PublicOf, asWalletKey(mediator)),
    )
    expect(messages.map((envelope) => JSON.parse(authDecrypt(envelope, floor, sharedKeys)))).toEqual([
      { n: 1 },
      { n: 2 },
    ])
    expect([...sharedKeys.keys()]).toEqual([mediator.verkey])
  })

  it('refuses an envelope whose content was altered, and one for another key', () => {
    const envelope = authEncrypt('{"n":1}', mediator, floor, new Map())
    const flipped = envelope.ciphertext.startsWith('A')
      ? `B${envelope.ciphertext.slice(1)}`
      : `A${envelope.ciphertext.slice(1)}`
    expect(() => authDecrypt({ ...envelope, ciphertext: flipped }, floor, new Map())).toThrow()
    expect(() => authDecrypt(envelope, generateBoxKeyPair(), new Map())).toThrow('not addressed to the floor key')
  })
})
