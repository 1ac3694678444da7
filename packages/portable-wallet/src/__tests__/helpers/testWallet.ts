import type { FileSystem } from '@credo-ts/core'

import { ConsoleLogger, KeyDerivationMethod, LogLevel } from '@credo-ts/core'

import { PortableWalletModuleConfig, type PortableWalletModuleConfigOptions } from '../../PortableWalletModuleConfig'
import { PortableWallet } from '../../wallet/PortableWallet'

/** Cheapest Argon2id libsodium allows: tests check behaviour, not key-stretching cost. */
export const FAST_ARGON2 = { opsLimit: 1, memLimit: 8192 }

/** A wallet outside any agent; `dataPath` is never used because tests pass a storage path or inMemory. */
export function makeTestWallet(options: PortableWalletModuleConfigOptions = { inMemory: true }): PortableWallet {
  const fileSystem = { dataPath: '/nonexistent-portable-wallet-data' } as FileSystem
  return new PortableWallet(
    new PortableWalletModuleConfig({ argon2: FAST_ARGON2, ...options }),
    fileSystem,
    new ConsoleLogger(LogLevel.off),
  )
}

/** A raw-key config: base58 of 32 bytes, no Argon2 at all. */
export function rawWalletConfig(id: string) {
  // 32 bytes of 0x07 in base58; any 32-byte value works.
  return { id, key: 'US517G5965aydkZ46HS38QLi7UQiSojurfbQfKCELFx', keyDerivationMethod: KeyDerivationMethod.Raw }
}
