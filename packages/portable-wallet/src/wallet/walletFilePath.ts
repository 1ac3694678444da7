import { createHash } from 'node:crypto'
import path from 'node:path'

const SAFE_FILE_NAME = /^[A-Za-z0-9._-]+$/

/**
 * `<storagePath>/<walletId>.sqlite`. Wallet ids are user input: anything that isn't a plain
 * file name (slashes, `..`, spaces, unicode) is replaced, and a hash of the original id is
 * appended so that two different ids never map to the same file.
 */
export function walletFilePath(storagePath: string, walletId: string): string {
  const isSafe = SAFE_FILE_NAME.test(walletId) && walletId !== '.' && walletId !== '..'
  const fileStem = isSafe
    ? walletId
    : `${walletId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}-${createHash('sha256').update(walletId).digest('hex').slice(0, 16)}`
  return path.join(storagePath, `${fileStem}.sqlite`)
}

/** SQLite's WAL mode keeps these next to the main file while it is open. */
export function walletSidecarFiles(filePath: string): string[] {
  return [`${filePath}-wal`, `${filePath}-shm`]
}
