import { Egress } from '../Egress'

describe('Egress', () => {
  const env = { HTTPS_PROXY: 'http://user:s3cret@proxy.corp:3128', NO_PROXY: 'agent.lan' }

  it('tunnels through the proxy where it applies, and goes direct where NO_PROXY says', async () => {
    const egress = new Egress({}, env)
    const proxied = egress.webSocketOptions(new URL('wss://mediator.example.org/ws'))
    expect(proxied.agent).toBeDefined()
    // The tunnelled certificate is checked against the target, not against what the agent library passes.
    expect(proxied.checkServerIdentity).toBeDefined()
    expect(egress.webSocketOptions(new URL('wss://agent.lan:8443'))).toEqual({})
    expect(egress.proxyFor(new URL('http://mediator.example.org'))).toBeUndefined()
    await egress.close()
  })

  it('trusts the extra CAs on every path, on top of the others', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    const egress = new Egress({ extraCaCertificates: [pem] }, {})
    const { ca } = egress.webSocketOptions(new URL('wss://mediator.example.org'))
    expect(ca?.at(-1)).toBe(pem)
    expect(ca?.length).toBeGreaterThan(100)
    expect(egress.nodeRequestOptions(new URL('https://agent.lan'), { maxSockets: 1 }).ca).toBe(ca)
    await egress.close()
  })

  it('says where connections go without the credentials', async () => {
    const egress = new Egress({}, env)
    expect(egress.describe()).toBe(
      'https/wss through http://***@proxy.corp:3128, http/ws direct, except NO_PROXY=agent.lan',
    )
    expect(new Egress({ proxyUrl: null }, env).describe()).toBe(
      'https/wss direct, http/ws direct, except NO_PROXY=agent.lan',
    )
    await egress.close()
  })

  it('keeps the last failure with its reason, for the error set-up gives', () => {
    const egress = new Egress({}, {})
    const since = Date.now()
    const refused = Object.assign(new Error('connect ECONNREFUSED 192.0.2.1:443'), { code: 'ECONNREFUSED' })
    egress.recordFailure(new URL('https://mediator.example.org'), refused)
    expect(egress.failureSince(since)?.description).toContain('cannot connect to https://mediator.example.org')
    expect(egress.failureSince(Date.now() + 1_000)).toBeUndefined()
  })
})
