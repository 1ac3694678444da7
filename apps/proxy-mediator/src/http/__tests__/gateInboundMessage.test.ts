import type { EncryptedMessage } from '@credo-ts/core'
import type { ForwardAcceptance } from '@proxy-mediator/proxy-mediator'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { type GateVerdict, type InboundLimits, gateInboundMessage } from '../gateInboundMessage'

const LIMITS: InboundLimits = { maxMessageBytes: 4096, maxRecipients: 4, maxProtectedHeaderBytes: 512 }

/** The two look-ups the gate makes, counted: nothing before them may cost a key look-up. */
class LookupCounter {
  public lookups = 0
  public forwards = 0
  public constructor(
    private readonly ownKids: string[],
    private readonly forwardAnswer: ForwardAcceptance = { kind: 'not-a-forward' },
  ) {}
  public readonly control = {
    isAddressedToProxy: async (envelope: EncryptedMessage) => {
      this.lookups++
      const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString())
      return header.recipients.some((recipient: { header: { kid: string } }) =>
        this.ownKids.includes(recipient.header.kid),
      )
    },
    acceptForward: async () => {
      this.forwards++
      return this.forwardAnswer
    },
  } as unknown as ProxyMediatorControl
}

const envelopeFor = (...kids: string[]) =>
  JSON.stringify({
    protected: Buffer.from(JSON.stringify({ recipients: kids.map((kid) => ({ header: { kid } })) })).toString(
      'base64url',
    ),
    iv: 'i',
    ciphertext: 'c',
    tag: 't',
  })

const codeOf = (verdict: GateVerdict) => (verdict.kind === 'refused' ? verdict.refusal.code : verdict.kind)

describe('the inbound gate, shared by HTTP and websocket', () => {
  it.each([
    ['a message over the size limit', JSON.stringify({ protected: 'e30', pad: 'x'.repeat(5000) }), 'payload_too_large'],
    ['a multi-byte message over the size limit', `"${'é'.repeat(2100)}"`, 'payload_too_large'],
    [
      'a protected header over its limit',
      envelopeFor(...Array.from({ length: 40 }, (_, i) => `kid-${i}`)),
      'header_too_large',
    ],
    ['garbage', 'not json \u0000', 'invalid_json'],
    [
      'plaintext',
      JSON.stringify({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': '1' }),
      'plaintext_not_accepted',
    ],
    ['JSON that is no envelope', '{"hello":"world"}', 'not_a_didcomm_message'],
    [
      'a header that is not base64url JSON',
      JSON.stringify({ protected: '!!', iv: 'i', ciphertext: 'c', tag: 't' }),
      'bad_envelope',
    ],
    ['an empty recipient list', envelopeFor(), 'bad_envelope'],
    ['too many recipients', envelopeFor('a', 'b', 'c', 'd', 'e'), 'too_many_recipients'],
  ])('refuses %s before any key look-up', async (_name, raw, code) => {
    const counter = new LookupCounter(['proxy-kid'])
    expect(codeOf(await gateInboundMessage(raw, counter.control, LIMITS))).toBe(code)
    expect(counter.lookups).toBe(0)
  })

  it('reads a websocket frame as the bytes it came in, and decodes only what passes the header check', async () => {
    const counter = new LookupCounter(['proxy-kid'])
    const flood = Buffer.from(envelopeFor(...Array.from({ length: 40 }, (_, i) => `kid-${i}`)))
    expect(codeOf(await gateInboundMessage(flood, counter.control, LIMITS))).toBe('header_too_large')
    expect(codeOf(await gateInboundMessage(Buffer.alloc(5000, 0x20), counter.control, LIMITS))).toBe(
      'payload_too_large',
    )
    const raw = envelopeFor('proxy-kid')
    expect(await gateInboundMessage(Buffer.from(raw), counter.control, LIMITS)).toEqual({
      kind: 'for-credo',
      envelope: JSON.parse(raw),
    })
  })

  it('refuses an envelope for none of the proxy keys after one look-up, and asks for no forward', async () => {
    const counter = new LookupCounter(['proxy-kid'])
    expect(codeOf(await gateInboundMessage(envelopeFor('stranger'), counter.control, LIMITS))).toBe('unknown_recipient')
    expect([counter.lookups, counter.forwards]).toEqual([1, 0])
  })

  it('takes a forward the module accepted, and refuses one it refused with its code', async () => {
    const accepted = new LookupCounter(['proxy-kid'], { kind: 'accepted' })
    expect(codeOf(await gateInboundMessage(envelopeFor('proxy-kid'), accepted.control, LIMITS))).toBe('taken')
    const refused = new LookupCounter(['proxy-kid'], {
      kind: 'refused',
      code: 'unknown_recipient',
      reason: 'no agent registered key X',
    })
    const verdict = await gateInboundMessage(envelopeFor('proxy-kid'), refused.control, LIMITS)
    expect(verdict).toMatchObject({
      kind: 'refused',
      refusal: { code: 'unknown_recipient', message: 'no agent registered key X' },
    })
  })

  it('hands what is not a forward to Credo, parsed once', async () => {
    const counter = new LookupCounter(['proxy-kid'])
    const raw = envelopeFor('proxy-kid')
    expect(await gateInboundMessage(raw, counter.control, LIMITS)).toEqual({
      kind: 'for-credo',
      envelope: JSON.parse(raw),
    })
  })

  it('passes a well-formed envelope on while the proxy is starting, with nothing to look up', async () => {
    expect(codeOf(await gateInboundMessage(envelopeFor('proxy-kid'), undefined, LIMITS))).toBe('starting')
  })
})
