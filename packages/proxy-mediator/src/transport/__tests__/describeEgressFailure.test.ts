import { describeEgressFailure } from '../describeEgressFailure'

const failed = (code: string, message: string) =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) })

describe('describeEgressFailure', () => {
  const target = new URL('https://mediator.example.org:8443/path?oob=secret')

  it('names the certificate problem and where to give the CA', () => {
    const text = describeEgressFailure(
      target,
      failed('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      undefined,
    )
    expect(text).toContain('TLS certificate of https://mediator.example.org:8443 does not verify')
    expect(text).toContain('SELF_SIGNED_CERT_IN_CHAIN')
    expect(text).toContain('NODE_EXTRA_CA_CERTS')
    expect(text).not.toContain('oob=')
  })

  it('says that a proxy may be needed when a direct connection is refused', () => {
    const text = describeEgressFailure(target, failed('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:8443'), undefined)
    expect(text).toMatch(/cannot connect to https:\/\/mediator.example.org:8443 \(ECONNREFUSED/)
    expect(text).toContain('HTTPS_PROXY')
  })

  it('never shows the proxy credentials', () => {
    const proxy = new URL('http://user:s3cret@proxy:3128')
    const text = describeEgressFailure(
      target,
      new Error('Proxy response (407) !== 200 when HTTP Tunneling from http://user:s3cret@proxy:3128'),
      proxy,
    )
    expect(text).toContain('did not open a tunnel')
    expect(text).not.toContain('s3cret')
  })
})
