import { ConfigError } from '../../config/ConfigError'
import { loadAskarModule } from '../loadAskarModule'

describe('loadAskarModule', () => {
  it('explains how to install Askar and supply its native library when it cannot load', () => {
    const missing = (name: string) => {
      throw new Error(`Cannot find module '${name}'`)
    }
    let thrown: unknown
    try {
      loadAskarModule(missing)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    const [issue] = (thrown as ConfigError).issues
    expect(issue.field).toBe('wallet-backend')
    expect(issue.message).toContain("Cannot find module '@credo-ts/askar'")
    expect(issue.message).toContain('yarn add @credo-ts/askar@0.5.19 @hyperledger/aries-askar-nodejs')
    expect(issue.message).toContain('LIB_ARIES_ASKAR_PATH')
  })

  it('builds the AskarModule with the native binding when both packages load', () => {
    class AskarModule {
      constructor(public readonly options: unknown) {}
    }
    const ariesAskar = { native: true }
    const loaded = loadAskarModule((name) => (name === '@credo-ts/askar' ? { AskarModule } : { ariesAskar }))
    expect(loaded).toBeInstanceOf(AskarModule)
    expect((loaded as unknown as AskarModule).options).toEqual({ ariesAskar })
  })
})
