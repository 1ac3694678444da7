import { constants, accessSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

/** Pseudo file systems where a wallet cannot live; Node's recursive mkdir spins forever under /proc. */
const PSEUDO_FILE_SYSTEMS = ['/proc', '/sys', '/dev']

/**
 * Why the storage directory cannot be used, or undefined when it can: checked before anything is
 * created, walking up to the nearest part of the path that exists.
 */
export function storageDirProblem(dir: string): string | undefined {
  const path = resolve(dir)
  const pseudo = PSEUDO_FILE_SYSTEMS.find((root) => path === root || path.startsWith(`${root}/`))
  if (pseudo) return `${path} is under ${pseudo}, which holds no files. Choose a directory on a disk, e.g. ./data.`
  let existing = path
  for (;;) {
    try {
      const stats = statSync(existing)
      if (!stats.isDirectory()) {
        return existing === path
          ? `${path} is a file, not a directory. Choose a directory (it is created if missing).`
          : `${path} cannot be created: ${existing} is a file.`
      }
      break
    } catch {
      const parent = dirname(existing)
      if (parent === existing) return `no part of ${path} exists.`
      existing = parent
    }
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK)
  } catch {
    return `${existing} is not writable by this user. Choose a writable directory, or fix its permissions.`
  }
  return undefined
}
