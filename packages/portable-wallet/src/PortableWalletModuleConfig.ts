/**
 * Argon2id limits used when a wallet is created or its key rotated. The values are stored in the
 * wallet, so changing them later doesn't lock existing wallets out.
 */
export interface PortableWalletArgon2Options {
  /** @default libsodium `crypto_pwhash_OPSLIMIT_INTERACTIVE` (2) */
  opsLimit?: number
  /** Bytes. @default libsodium `crypto_pwhash_MEMLIMIT_INTERACTIVE` (64 MiB) */
  memLimit?: number
}

export interface PortableWalletModuleConfigOptions {
  /**
   * Directory holding one `<walletId>.sqlite` file per wallet.
   * @default `<FileSystem.dataPath>/portable-wallet` (Credo's data path for the platform)
   */
  storagePath?: string

  /**
   * Keep the wallet in an in-memory SQLite database, for tests. Data lives as long as the wallet
   * instance; `close()` + `open()` on the same instance keeps it, a new agent starts empty.
   * @default false
   */
  inMemory?: boolean

  /** Key derivation cost for passphrase wallet keys (not used with `KeyDerivationMethod.Raw`). */
  argon2?: PortableWalletArgon2Options
}

/** libsodium's INTERACTIVE limits: ~0.1 s on a laptop core, which suits an agent that starts rarely. */
export const DEFAULT_ARGON2_OPS_LIMIT = 2
export const DEFAULT_ARGON2_MEM_LIMIT = 64 * 1024 * 1024

export class PortableWalletModuleConfig {
  private readonly options: PortableWalletModuleConfigOptions

  public constructor(options: PortableWalletModuleConfigOptions = {}) {
    this.options = options
  }

  /** The configured directory, or undefined to use the FileSystem default. */
  public get storagePath(): string | undefined {
    return this.options.storagePath
  }

  public get inMemory(): boolean {
    return this.options.inMemory ?? false
  }

  public get argon2(): { opsLimit: number; memLimit: number } {
    return {
      opsLimit: this.options.argon2?.opsLimit ?? DEFAULT_ARGON2_OPS_LIMIT,
      memLimit: this.options.argon2?.memLimit ?? DEFAULT_ARGON2_MEM_LIMIT,
    }
  }
}
