import type { DependencyManager, Module } from '@credo-ts/core'

import { CredoError, InjectionSymbols } from '@credo-ts/core'

import { PortableWalletModuleConfig, type PortableWalletModuleConfigOptions } from './PortableWalletModuleConfig'
import { SqliteStorageService } from './storage/SqliteStorageService'
import { PortableWallet } from './wallet/PortableWallet'

/**
 * Registers the portable wallet (libsodium) and its SQLite storage as the agent's `Wallet` and
 * `StorageService`. Credo registers neither by default and throws at construction if either is
 * missing, so this module (or Askar) is required.
 *
 * ```ts
 * new Agent({ config, dependencies, modules: { portableWallet: new PortableWalletModule() } })
 * ```
 */
export class PortableWalletModule implements Module {
  public readonly config: PortableWalletModuleConfig

  public constructor(options?: PortableWalletModuleConfigOptions) {
    this.config = new PortableWalletModuleConfig(options)
  }

  public register(dependencyManager: DependencyManager): void {
    dependencyManager.registerInstance(PortableWalletModuleConfig, this.config)

    // Two wallets would silently fight over which one the agent uses; fail early instead.
    if (dependencyManager.isRegistered(InjectionSymbols.Wallet)) {
      throw new CredoError('There is an instance of Wallet already registered')
    }
    // Context scoped: each agent context (e.g. tenant) gets its own wallet instance, as with Askar.
    dependencyManager.registerContextScoped(InjectionSymbols.Wallet, PortableWallet)

    if (dependencyManager.isRegistered(InjectionSymbols.StorageService)) {
      throw new CredoError('There is an instance of StorageService already registered')
    }
    // One stateless service: it reads the database handle from the context's wallet on each call.
    dependencyManager.registerSingleton(InjectionSymbols.StorageService, SqliteStorageService)
  }
}
