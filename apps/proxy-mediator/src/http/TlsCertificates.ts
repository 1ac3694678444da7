import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import { type SecureContextOptions, createSecureContext } from 'node:tls'
import type { Logger } from '@credo-ts/core'

/** How often the files are looked at for a change (a stat each; rotation is rare). */
const WATCH_INTERVAL_MS = 2_000

/**
 * The runner's certificate and key, read from their files, and read again on `reload()` (SIGHUP)
 * or when either file changes, as certificates rotate. Each listener takes the new pair through
 * `onChange` (`server.setSecureContext`): open connections keep theirs, new ones get the new one.
 * A pair that does not load (a half-written file, a key of another certificate) is logged and the
 * previous pair kept: a rotation gone wrong must not take the proxy down.
 */
export class TlsCertificates {
  private pair: SecureContextOptions
  private readonly listeners: Array<(pair: SecureContextOptions) => void> = []
  private watching = false

  public constructor(
    private readonly files: { certFile: string; keyFile: string },
    private readonly logger: Logger,
  ) {
    this.pair = this.read()
  }

  public get current(): SecureContextOptions {
    return this.pair
  }

  public onChange(listener: (pair: SecureContextOptions) => void): void {
    this.listeners.push(listener)
  }

  /** Reads the files again; true when the new pair was taken. */
  public reload(reason: string): boolean {
    let pair: SecureContextOptions
    try {
      pair = this.read()
    } catch (error) {
      this.logger.error(`TLS certificate not reloaded (${reason}); the previous one is still served`, { error })
      return false
    }
    this.pair = pair
    for (const listener of this.listeners) listener(pair)
    this.logger.info(`TLS certificate reloaded (${reason}) from ${this.files.certFile}`)
    return true
  }

  public watch(): void {
    if (this.watching) return
    this.watching = true
    for (const file of [this.files.certFile, this.files.keyFile]) {
      // Polling stat, not fs.watch: a rotation that renames a new file into place (certbot, Kubernetes
      // secrets) replaces the inode that fs.watch would be watching.
      watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, (now, before) => {
        if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) {
          this.reload(`${file} changed`)
        }
      })
    }
  }

  public close(): void {
    if (!this.watching) return
    this.watching = false
    unwatchFile(this.files.certFile)
    unwatchFile(this.files.keyFile)
  }

  private read(): SecureContextOptions {
    const pair = { cert: readFileSync(this.files.certFile), key: readFileSync(this.files.keyFile) }
    // Throws for a key that is not the certificate's, or a file that is not PEM.
    createSecureContext(pair)
    return pair
  }
}
