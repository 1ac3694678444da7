import { decodeBase64Url, fromBase64Url, toBase64Url } from '../base64url'

/** The rule as written down: either alphabet, at most two `=` at the end, no length of 1 mod 4. */
function acceptedByTheRule(text: string): boolean {
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(text)) return false
  return text.replace(/=+$/, '').length % 4 !== 1
}

/** A small seeded generator, so a failure names a string that the next run finds again. */
function generator(seed: number) {
  let state = seed
  return (below: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state % below
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/'
const STRAYS = ['=', ' ', '\n', '\t', '.', '*', '%', '~', '\u0000', 'é', '€', '\uD83D\uDE00']

describe('base64url', () => {
  it('reads what it writes, with or without padding, in either alphabet', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, index) => (index * 37 + 11) % 256)
    for (let length = 0; length <= bytes.length; length++) {
      const slice = bytes.subarray(0, length)
      const unpadded = toBase64Url(slice)
      expect(unpadded).not.toContain('=')
      expect(fromBase64Url(unpadded)).toEqual(slice)
      expect(fromBase64Url(Buffer.from(slice).toString('base64'))).toEqual(slice)
    }
  })

  it.each([
    ['a space', 'YWJj ZGVm'],
    ['a newline', 'YWJj\nZGVm'],
    ['a padding character inside', 'YWJj=ZGVm'],
    ['three padding characters', 'YWI==='],
    ['a character of neither alphabet', 'YWJj.ZGVm'],
    ['a non-ASCII character', 'YWJjZGVmé'],
    ['a length of 1 mod 4', 'YWJjZ'],
  ])('refuses a value with %s', (_, text) => {
    expect(() => decodeBase64Url(text)).toThrow(/^Invalid base64url (value|length)$/)
  })

  it('refuses what is not a string', () => {
    expect(() => decodeBase64Url(undefined as unknown as string)).toThrow('Invalid base64url value')
  })

  it('accepts exactly the strings the rule accepts, over 20,000 random ones with stray characters', () => {
    const random = generator(20261202)
    const disagreements: string[] = []
    for (let index = 0; index < 20_000; index++) {
      let text = ''
      for (let length = random(70); length > 0; length--) text += ALPHABET[random(ALPHABET.length)]
      for (let strays = random(4); strays > 0; strays--) {
        const at = random(text.length + 1)
        text = text.slice(0, at) + STRAYS[random(STRAYS.length)] + text.slice(at)
      }
      if (random(3) === 0) text += '='.repeat(random(4))
      let accepted = true
      try {
        decodeBase64Url(text)
      } catch {
        accepted = false
      }
      if (accepted !== acceptedByTheRule(text)) disagreements.push(JSON.stringify(text))
    }
    expect(disagreements).toEqual([])
  })
})
