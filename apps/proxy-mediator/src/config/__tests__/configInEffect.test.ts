import { SECRET_SET, configFieldOf, configInEffect } from '../configInEffect'
import { resolveConfig } from '../resolveConfig'
import { runnerOptions } from '../runnerOptions'

describe('configInEffect', () => {
  const resolve = (flags: Record<string, unknown>) =>
    resolveConfig({
      flags: { endpoint: 'http://proxy.internal:3000', 'storage-dir': '/tmp/pm-config-in-effect', ...flags },
      env: {},
    })

  it('shows every setting as the runner uses it, but only whether each secret is set', () => {
    const config = resolve({
      'wallet-key': 'the-wallet-key-value',
      'admin-api-key': 'the-admin-key-value',
      'mediator-invitation': 'https://mediator.example.org/path?oob=eyJzZWNyZXQiOiJ5ZXMifQ',
      'agent-failing-after': '5000',
    })
    const shown = configInEffect(config)
    const text = JSON.stringify(shown)
    expect(text).not.toContain('the-wallet-key-value')
    expect(text).not.toContain('the-admin-key-value')
    expect(text).not.toContain('eyJzZWNyZXQiOiJ5ZXMifQ')
    expect(shown).toMatchObject({
      walletKey: SECRET_SET,
      adminApiKey: SECRET_SET,
      mediatorInvitation: 'mediator.example.org (query not shown)',
      endpoint: 'http://proxy.internal:3000',
      agentFailingAfterMs: 5000,
      maxAdminKeyFailures: 10,
    })
    const { module, ...runnerFields } = config
    expect(Object.keys(shown).sort()).toEqual([...Object.keys(runnerFields), ...Object.keys(module)].sort())
  })

  it('says a secret that is not set is not set', () => {
    const shown = configInEffect(resolve({ 'wallet-key': 'w' }))
    expect(shown.adminApiKey).toBeUndefined()
    expect(shown.walletKey).toBe(SECRET_SET)
  })

  /** A value for each option marked secret, with a part that must never be shown. */
  const SECRET_VALUES: Record<string, { value: string; hidden: string }> = {
    'wallet-key': { value: 'wallet-secret-1', hidden: 'wallet-secret-1' },
    'admin-api-key': { value: 'admin-secret-2', hidden: 'admin-secret-2' },
    'egress-proxy': { value: 'http://proxy-user:proxy-secret-3@proxy.corp:3128', hidden: 'proxy-secret-3' },
  }

  it('shows no part of any option marked secret (a new one must be added above)', () => {
    const secrets = runnerOptions.filter((option) => option.secret).map((option) => option.name)
    expect(secrets.sort()).toEqual(Object.keys(SECRET_VALUES).sort())
    const config = resolve(Object.fromEntries(secrets.map((name) => [name, SECRET_VALUES[name].value])))
    const shown = configInEffect(config)
    const text = JSON.stringify(shown)
    for (const name of secrets) expect([name, text.includes(SECRET_VALUES[name].hidden)]).toEqual([name, false])
    for (const name of ['wallet-key', 'admin-api-key']) expect(shown[configFieldOf(name)]).toBe(SECRET_SET)
    expect(shown.egress).toMatchObject({ proxyUrl: 'http://(credentials not shown)@proxy.corp:3128/' })
  })
})
