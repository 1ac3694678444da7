import type { Module } from '@credo-ts/core'
import { PortableWalletModule } from '@proxy-mediator/portable-wallet'
import type { RunnerConfig } from '../config/RunnerConfig'
import { loadAskarModule } from './loadAskarModule'

/**
 * The wallet and storage of the proxy. Askar is loaded only when chosen: it is an optional
 * dependency because its install downloads a native library, which fails on air-gapped
 * machines. The portable wallet needs nothing native but SQLite.
 */
export function loadWalletModule(config: Pick<RunnerConfig, 'walletBackend' | 'storageDir'>): Module {
  if (config.walletBackend === 'portable') return new PortableWalletModule({ storagePath: config.storageDir })
  return loadAskarModule()
}
