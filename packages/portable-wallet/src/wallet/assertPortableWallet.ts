import type { Wallet } from '@credo-ts/core'

import { CredoError } from '@credo-ts/core'

import { PortableWallet } from './PortableWallet'

/** The SQLite storage keeps its data in the wallet's database, so it only works with this wallet. */
export function assertPortableWallet(wallet: Wallet): asserts wallet is PortableWallet {
  if (!(wallet instanceof PortableWallet)) {
    const walletClassName = (wallet as object | undefined)?.constructor?.name ?? 'unknown'
    throw new CredoError(
      `SqliteStorageService needs the agent context's wallet to be a PortableWallet, found ${walletClassName}. Register PortableWalletModule instead of another wallet module.`,
    )
  }
}
