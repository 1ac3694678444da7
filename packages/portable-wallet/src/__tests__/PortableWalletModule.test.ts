import { randomBytes } from 'node:crypto'
import path from 'node:path'

import {
  Agent,
  CredoError,
  DependencyManager,
  InjectionSymbols,
  KeyDerivationMethod,
  TypedArrayEncoder,
} from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'

import { PortableWallet, PortableWalletModule, PortableWalletModuleConfig, SqliteStorageService } from '../index'

describe('PortableWalletModule', () => {
  test('an agent initializes with it and resolves the wallet and storage it registers', async () => {
    // A raw wallet key is base58 of 32 bytes, what `wallet.generateWalletKey()` returns.
    const key = TypedArrayEncoder.toBase58(randomBytes(32))
    const agent = new Agent({
      config: {
        label: 'module-test',
        walletConfig: { id: 'module-test', key, keyDerivationMethod: KeyDerivationMethod.Raw },
      },
      modules: { portableWallet: new PortableWalletModule({ inMemory: true }) },
      dependencies: agentDependencies,
    })
    await agent.initialize()
    try {
      expect(agent.context.wallet).toBeInstanceOf(PortableWallet)
      expect(agent.dependencyManager.resolve(InjectionSymbols.StorageService)).toBeInstanceOf(SqliteStorageService)
      expect(await agent.genericRecords.getAll()).toEqual([])
      const record = await agent.genericRecords.save({ content: { hello: 'world' }, tags: { kind: 'greeting' } })
      expect((await agent.genericRecords.findAllByQuery({ kind: 'greeting' })).map((r) => r.id)).toEqual([record.id])
    } finally {
      await agent.shutdown()
    }
  })

  test('defaults: storage under the FileSystem data path, INTERACTIVE Argon2id limits, file storage', () => {
    const dependencyManager = new DependencyManager()
    const fileSystem = new agentDependencies.FileSystem()
    dependencyManager.registerInstance(InjectionSymbols.FileSystem, fileSystem)
    dependencyManager.registerInstance(InjectionSymbols.Logger, console)
    new PortableWalletModule().register(dependencyManager)

    const config = dependencyManager.resolve(PortableWalletModuleConfig)
    expect(config.inMemory).toBe(false)
    expect(config.argon2).toEqual({ opsLimit: 2, memLimit: 64 * 1024 * 1024 })
    const wallet = dependencyManager.resolve<PortableWallet>(InjectionSymbols.Wallet)
    expect(wallet.filePathFor('w1')).toBe(path.join(fileSystem.dataPath, 'portable-wallet', 'w1.sqlite'))
  })

  test('refuses to register over another wallet or storage service', () => {
    const dependencyManager = new DependencyManager()
    new PortableWalletModule().register(dependencyManager)
    expect(() => new PortableWalletModule().register(dependencyManager)).toThrow(CredoError)
  })
})
