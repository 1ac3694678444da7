import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../ConfigError'
import { buildCommandLineParser, parseCommandLine } from '../commandLine'
import { resolveConfig } from '../resolveConfig'
import { envVarName, runnerOptions } from '../runnerOptions'

const minimal = ['--endpoint', 'http://proxy.internal:3000', '--wallet-key', 'k']

function resolve(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return resolveConfig({ flags: parseCommandLine(argv), env })
}

function issuesOf(run: () => unknown) {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
  throw new Error('expected a ConfigError')
}

function writeTemp(name: string, content: string) {
  const path = join(mkdtempSync(join(tmpdir(), 'pm-config-')), name)
  writeFileSync(path, content)
  return path
}

describe('resolveConfig', () => {
  it('fills in the defaults', () => {
    const config = resolve(minimal)
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
      label: 'Proxy Mediator',
      walletBackend: 'portable',
      module: {
        pickupStrategy: 'auto',
        keepaliveIntervalMs: 15000,
        relayMode: 'proxy',
        primaryFailoverAfterMs: 0,
        multiUseAgentInvitation: true,
      },
      maxBodySizeBytes: 5 * 1024 * 1024,
      logLevel: 'info',
    })
    expect(config.adminApiKey).toBeUndefined()
    expect(config.storageDir).toMatch(/\.proxy-mediator$/)
  })

  it('lets flags beat env, env beat the file, and the file beat defaults', () => {
    const file = writeTemp(
      'c.yaml',
      'port: 4000\nlabel: from-file\nrelay-timeout: 111\nendpoint: http://file:1\nwalletKey: k\n',
    )
    const env = { PROXY_MEDIATOR_CONFIG: file, PROXY_MEDIATOR_PORT: '5000', PROXY_MEDIATOR_LABEL: 'from-env' }
    const config = resolveConfig({ flags: parseCommandLine(['--port', '6000']), env })
    expect(config.port).toBe(6000)
    expect(config.label).toBe('from-env')
    expect(config.module.relayTimeoutMs).toBe(111)
    expect(config.endpoint).toBe('http://file:1')
    expect(config.walletKey).toBe('k')
    expect(config.module.pollingIntervalMs).toBe(5000)
  })

  it('reads JSON config files and camelCase keys', () => {
    const file = writeTemp(
      'c.json',
      JSON.stringify({ endpoint: 'http://a:1', walletKey: 'x', pickupStrategy: 'implicit' }),
    )
    expect(resolve(['--config', file])).toMatchObject({ module: { pickupStrategy: 'implicit' }, walletKey: 'x' })
  })

  it('accepts booleans from env and flags', () => {
    expect(resolve(minimal, { PROXY_MEDIATOR_MULTI_USE_INVITATION: 'false' }).module.multiUseAgentInvitation).toBe(
      false,
    )
    expect(resolve([...minimal, '--no-multi-use-invitation']).module.multiUseAgentInvitation).toBe(false)
  })

  it('reads the wallet key from a file when no key is given', () => {
    const keyFile = writeTemp('key', '  secret-from-file\n')
    expect(resolve(['--endpoint', 'http://a:1', '--wallet-key-file', keyFile]).walletKey).toBe('secret-from-file')
  })

  it('names the missing wallet key and every way to set it', () => {
    const issues = issuesOf(() => resolve(['--endpoint', 'http://a:1']))
    expect(issues).toEqual([
      {
        field: 'wallet-key',
        message: expect.stringContaining('Set --wallet-key, PROXY_MEDIATOR_WALLET_KEY, or wallet-key-file'),
      },
    ])
  })

  it('reads the relay mode and the failover time from flags, env and the file, and refuses bad ones', () => {
    expect(
      resolve([...minimal, '--relay-mode', 'transparent', '--primary-failover-after', '30000']).module,
    ).toMatchObject({
      relayMode: 'transparent',
      primaryFailoverAfterMs: 30000,
    })
    expect(
      resolve(minimal, { PROXY_MEDIATOR_RELAY_MODE: 'transparent', PROXY_MEDIATOR_PRIMARY_FAILOVER_AFTER: '0' }).module,
    ).toMatchObject({ relayMode: 'transparent', primaryFailoverAfterMs: 0 })
    const file = writeTemp('c.yaml', 'relay-mode: transparent\nprimary-failover-after: 5000\n')
    expect(resolve([...minimal, '--config', file]).module).toMatchObject({
      relayMode: 'transparent',
      primaryFailoverAfterMs: 5000,
    })

    const issues = issuesOf(() =>
      resolve(minimal, { PROXY_MEDIATOR_RELAY_MODE: 'opaque', PROXY_MEDIATOR_PRIMARY_FAILOVER_AFTER: '-1' }),
    )
    expect(issues.map((issue) => issue.field).sort()).toEqual(['primary-failover-after', 'relay-mode'])
    expect(issues.find((issue) => issue.field === 'relay-mode')?.message).toContain('must be one of proxy, transparent')
    expect(issues.find((issue) => issue.field === 'primary-failover-after')?.message).toContain(
      'whole number of milliseconds between 0 and',
    )
    expect(issuesOf(() => resolve([...minimal, '--primary-failover-after', '30s']))[0]).toMatchObject({
      field: 'primary-failover-after',
      message: expect.stringContaining('must be a number'),
    })
  })

  it('reports every invalid value at once, naming the field', () => {
    const issues = issuesOf(() =>
      resolve([], {
        PROXY_MEDIATOR_PORT: '70000',
        PROXY_MEDIATOR_ENDPOINT: 'not a url',
        PROXY_MEDIATOR_PICKUP_STRATEGY: 'magic',
        PROXY_MEDIATOR_KEEPALIVE_INTERVAL: 'soon',
        PROXY_MEDIATOR_MAX_BODY_SIZE: 'huge',
        PROXY_MEDIATOR_WALLET_KEY: 'k',
      }),
    )
    const fields = issues.map((issue) => issue.field).sort()
    expect(fields).toEqual(['endpoint', 'keepalive-interval', 'max-body-size', 'pickup-strategy', 'port'])
    expect(issues.find((issue) => issue.field === 'pickup-strategy')?.message).toContain(
      'must be one of auto, live, implicit, poll-v2, poll-v1',
    )
    expect(issues.find((issue) => issue.field === 'keepalive-interval')?.message).toContain(
      'PROXY_MEDIATOR_KEEPALIVE_INTERVAL',
    )
  })

  it('requires the endpoint and an http(s) or ws(s) scheme', () => {
    expect(issuesOf(() => resolve(['--wallet-key', 'k']))[0]).toMatchObject({
      field: 'endpoint',
      message: expect.stringContaining('required'),
    })
    expect(issuesOf(() => resolve(['--wallet-key', 'k', '--endpoint', 'ftp://a']))[0].field).toBe('endpoint')
  })

  it('rejects unknown keys in the config file', () => {
    const file = writeTemp('c.yaml', 'endpoint: http://a:1\nwallet-key: k\nprot: 1\n')
    expect(issuesOf(() => resolve(['--config', file]))).toEqual([
      { field: 'prot', message: expect.stringContaining('unknown option') },
    ])
  })

  it('explains an unreadable config file', () => {
    expect(issuesOf(() => resolve(['--config', '/nonexistent/x.yaml']))[0]).toMatchObject({
      field: 'config',
      message: expect.stringContaining('ENOENT'),
    })
  })

  it('never echoes a secret in an error', () => {
    const issues = issuesOf(() =>
      resolve(['--endpoint', 'http://a:1', '--wallet-key', 'k'], { PROXY_MEDIATOR_WALLET_KEY_DERIVATION: 'nope' }),
    )
    expect(issues[0].field).toBe('wallet-key-derivation')
    const file = writeTemp('c.yaml', 'endpoint: http://a:1\nwallet-key: [1, 2]\n')
    const fileIssues = issuesOf(() => resolve(['--config', file]))
    expect(fileIssues[0]).toMatchObject({ field: 'wallet-key', message: expect.stringContaining('must be a string') })
  })

  it('puts the admin routes on loopback by default, or on the DIDComm listener when their ports are one', () => {
    expect(resolve(minimal).admin).toEqual({
      host: '127.0.0.1',
      port: 3001,
      sharedWithDidcomm: false,
      insecureMode: false,
    })
    const shared = resolve([...minimal, '--host', '127.0.0.1', '--admin-port', '3000']).admin
    expect(shared).toMatchObject({ host: '127.0.0.1', port: 3000, sharedWithDidcomm: true })
    expect(resolve([...minimal, '--admin-host', '0.0.0.0', '--admin-api-key', 'a']).admin.host).toBe('0.0.0.0')
    expect(issuesOf(() => resolve([...minimal, '--admin-host', '0.0.0.0']))[0].field).toBe('admin-api-key')
    expect(issuesOf(() => resolve([...minimal, '--admin-host', '999.0.0.1']))[0].field).toBe('admin-host')
    expect(resolve([...minimal, '--admin-host', '::', '--admin-insecure-mode']).admin.insecureMode).toBe(true)
  })

  it('reads the egress settings: a proxy, none, NO_PROXY, extra CAs, and refuses what it cannot use', () => {
    expect(resolve(minimal).egress).toEqual({})
    const env = { PROXY_MEDIATOR_EGRESS_PROXY: 'http://user:pw@proxy.corp:3128', PROXY_MEDIATOR_NO_PROXY: 'agent.lan' }
    expect(resolve(minimal, env).egress).toEqual({ proxyUrl: 'http://user:pw@proxy.corp:3128/', noProxy: 'agent.lan' })
    expect(resolve([...minimal, '--egress-proxy', 'none']).egress.proxyUrl).toBeNull()
    const socks = issuesOf(() => resolve([...minimal, '--egress-proxy', 'socks5://user:pw@proxy:1080']))
    expect(socks[0]).toMatchObject({ field: 'egress-proxy', message: expect.stringContaining('only HTTP CONNECT') })
    expect(socks[0].message).not.toContain('pw')

    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    const caFile = writeTemp('ca.pem', `${pem}${pem}`)
    expect(resolve([...minimal, '--upstream-ca-file', caFile]).egress.extraCaCertificates).toHaveLength(2)
    const notPem = writeTemp('ca.txt', 'nothing')
    expect(issuesOf(() => resolve([...minimal, '--upstream-ca-file', notPem]))[0].message).toContain(
      'no PEM certificate',
    )
  })

  it('turns unknown flags into a ConfigError', () => {
    expect(issuesOf(() => resolve([...minimal, '--prot', '1']))[0].message).toContain('prot')
  })
})

describe('--help', () => {
  it('explains every option and its env var', async () => {
    const help = await buildCommandLineParser([]).getHelp()
    for (const option of runnerOptions) {
      expect(help).toContain(`--${option.name}`)
      expect(help).toContain(envVarName(option.name))
    }
    expect(help).toContain('[default: 3000]')
  })
})
