/**
 * An envelope that lists `recipients` recipients and holds no key at all: what an anonymous
 * recipient flood sends (40,000 of them make 4.5 MB). Each kid costs a look-up to whoever reads
 * the list, which is why the proxy bounds the header before reading it.
 */
export function recipientFloodEnvelope(recipients: number): string {
  const kid = 'H3C2AVvLMv6gmMNam3uVAjZpfkcJCwDmqPV'
  const header = {
    enc: 'xchacha20poly1305_ietf',
    typ: 'JWM/1.0',
    alg: 'Anoncrypt',
    recipients: Array.from({ length: recipients }, (_, index) => ({
      encrypted_key: 'AAAA',
      header: { kid: `${kid}${index}` },
    })),
  }
  return JSON.stringify({
    protected: Buffer.from(JSON.stringify(header)).toString('base64url'),
    iv: 'AAAAAAAAAAAAAAAA',
    ciphertext: 'AAAA',
    tag: 'AAAAAAAAAAAAAAAAAAAAAA',
  })
}
