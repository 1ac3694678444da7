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
    expect(Object.keys(shown).sort()).toEqual(Object.keys(config).sort())
  })

  it('says a secret that is not set is not set', () => {
    const shown = configInEffect(resolve({ 'wallet-key': 'w' }))
    expect(shown.adminApiKey).toBeUndefined()
    expect(shown.walletKey).toBe(SECRET_SET)
  })

  it('masks every option marked secret: each is a field of the resolved configuration', () => {
    const config = resolve({ 'wallet-key': 'w', 'admin-api-key': 'a' })
    const secrets = runnerOptions.filter((option) => option.secret)
    expect(secrets.length).toBeGreaterThan(0)
    for (const option of secrets) {
      const field = configFieldOf(option.name)
      expect([option.name, field in config]).toEqual([option.name, true])
      expect(configInEffect(config)[field]).toBe(SECRET_SET)
    }
  })
})
