import { egressProxyFor, parseProxyUrl, redactProxyUrl } from '../egressProxyFor'

const proxyOf = (target: string, env: NodeJS.ProcessEnv, settings = {}) =>
  egressProxyFor(new URL(target), settings, env)?.href

describe('egressProxyFor: which proxy an outbound connection takes, by curl rule', () => {
  const env = { HTTPS_PROXY: 'http://secure-proxy:3128', HTTP_PROXY: 'http://plain-proxy:3128' }

  it('takes https_proxy for https and wss, http_proxy for http and ws', () => {
    expect(proxyOf('https://mediator.example.org', env)).toBe('http://secure-proxy:3128/')
    expect(proxyOf('wss://mediator.example.org/ws', env)).toBe('http://secure-proxy:3128/')
    expect(proxyOf('http://mediator.example.org', env)).toBe('http://plain-proxy:3128/')
    expect(proxyOf('ws://mediator.example.org', env)).toBe('http://plain-proxy:3128/')
  })

  it('prefers the lower-case variable, falls back to all_proxy, and goes direct with none', () => {
    expect(proxyOf('https://m.example.org', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' })).toBe(
      'http://lower:1/',
    )
    expect(proxyOf('https://m.example.org', { ALL_PROXY: 'http://all:1' })).toBe('http://all:1/')
    expect(proxyOf('https://m.example.org', {})).toBeUndefined()
    expect(proxyOf('https://m.example.org', { HTTPS_PROXY: '  ' })).toBeUndefined()
  })

  it('lets NO_PROXY name hosts, their subdomains, addresses and CIDR blocks, ignoring ports', () => {
    const withNoProxy = { ...env, NO_PROXY: 'internal.example, .corp.example, 10.1.0.0/16, 192.0.2.7:8080, ::1' }
    expect(proxyOf('http://internal.example:3000', withNoProxy)).toBeUndefined()
    expect(proxyOf('http://agent.internal.example', withNoProxy)).toBeUndefined()
    expect(proxyOf('http://agent.corp.example', withNoProxy)).toBeUndefined()
    expect(proxyOf('http://10.1.200.3:8020', withNoProxy)).toBeUndefined()
    expect(proxyOf('http://192.0.2.7:9000', withNoProxy)).toBeUndefined()
    expect(proxyOf('http://[::1]:3000', withNoProxy)).toBeUndefined()
    expect(proxyOf('http://notinternal.example', withNoProxy)).toBe('http://plain-proxy:3128/')
    expect(proxyOf('http://10.2.0.1', withNoProxy)).toBe('http://plain-proxy:3128/')
    expect(proxyOf('https://mediator.example.org', { ...env, no_proxy: '*' })).toBeUndefined()
  })

  it('lets the explicit settings win over the environment, null meaning no proxy at all', () => {
    expect(proxyOf('http://m.example.org', env, { proxyUrl: 'http://explicit:8080' })).toBe('http://explicit:8080/')
    expect(proxyOf('https://m.example.org', env, { proxyUrl: null })).toBeUndefined()
    expect(proxyOf('https://m.example.org', { ...env, NO_PROXY: 'm.example.org' }, { noProxy: '' })).toBe(
      'http://secure-proxy:3128/',
    )
    expect(proxyOf('https://m.example.org', env, { noProxy: 'example.org' })).toBeUndefined()
  })

  it('takes a proxy without a scheme as http, and refuses other schemes without showing credentials', () => {
    expect(parseProxyUrl('proxy.corp:3128').href).toBe('http://proxy.corp:3128/')
    expect(() => parseProxyUrl('socks5://user:secret@proxy:1080')).toThrow(/only HTTP CONNECT proxies/)
    expect(() => parseProxyUrl('socks5://user:secret@proxy:1080')).not.toThrow(/secret/)
  })
})

describe('redactProxyUrl', () => {
  it('hides the credentials of a proxy URL, and of what is not quite one', () => {
    expect(redactProxyUrl('http://user:s3cret@proxy:3128')).toBe('http://***@proxy:3128')
    expect(redactProxyUrl('http://proxy:3128')).toBe('http://proxy:3128')
    expect(redactProxyUrl('user:s3cret@proxy:3128 extra')).not.toContain('s3cret')
  })
})
