import { isEncryptedEnvelope, isForwardType, recipientKids } from '../envelope'

const protectedHeader = (header: unknown) => Buffer.from(JSON.stringify(header)).toString('base64url')

describe('envelope helpers', () => {
  it('treats the did:sov prefix as the same forward type', () => {
    expect(isForwardType('https://didcomm.org/routing/1.0/forward')).toBe(true)
    expect(isForwardType('did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/routing/1.0/forward')).toBe(true)
    expect(isForwardType('https://didcomm.org/basicmessage/1.0/message')).toBe(false)
    expect(isForwardType(undefined)).toBe(false)
  })

  it('recognizes the four-field envelope and nothing else', () => {
    expect(isEncryptedEnvelope({ protected: 'a', iv: 'b', ciphertext: 'c', tag: 'd' })).toBe(true)
    expect(isEncryptedEnvelope({ protected: 'a', iv: 'b', ciphertext: 'c' })).toBe(false)
    expect(isEncryptedEnvelope('{"protected":"a"}')).toBe(false)
    expect(isEncryptedEnvelope(null)).toBe(false)
  })

  it('reads recipient kids from the protected header, in order', () => {
    const envelope = {
      protected: protectedHeader({ recipients: [{ header: { kid: 'first' } }, { header: { kid: 'second' } }] }),
      iv: '',
      ciphertext: '',
      tag: '',
    }
    expect(recipientKids(envelope)).toEqual(['first', 'second'])
  })

  it('returns no kids for a header that is not base64url JSON', () => {
    expect(recipientKids({ protected: '%%%', iv: '', ciphertext: '', tag: '' })).toEqual([])
    expect(recipientKids({ protected: protectedHeader({ recipients: 'x' }), iv: '', ciphertext: '', tag: '' })).toEqual(
      [],
    )
  })
})
