import { join } from 'node:path'
import { resolveConfig } from '../resolveConfig'

describe('proxy-mediator.example.yaml', () => {
  it('is a valid config file once a wallet key is supplied', () => {
    const config = resolveConfig({
      flags: { config: join(__dirname, '..', '..', '..', '..', '..', 'proxy-mediator.example.yaml') },
      env: { PROXY_MEDIATOR_WALLET_KEY: 'k' },
    })
    expect(config).toMatchObject({ endpoint: 'http://proxy.internal:3000', storageDir: '/data', walletKey: 'k' })
  })
})
