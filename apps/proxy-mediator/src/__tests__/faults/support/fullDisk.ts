import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

const FILLER = 'filler'

/**
 * A real file system that fills up: a small tmpfs, mounted by the test (it must run as root, as
 * CI does). Nothing is simulated: the proxy's SQLite store meets ENOSPC / SQLITE_FULL as on a full
 * disk.
 */
export class FullDisk {
  private constructor(public readonly dir: string) {}

  public static mount(dir: string, sizeMb: number): FullDisk {
    if (process.getuid?.() !== 0) {
      throw new Error('This test mounts a tmpfs, which needs root: run it as root, as CI does.')
    }
    mkdirSync(dir, { recursive: true })
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir])
    return new FullDisk(dir)
  }

  /** Writes a file until the file system is full. */
  public fill(): void {
    const fd = openSync(join(this.dir, FILLER), 'a')
    const chunk = Buffer.alloc(64 * 1024)
    try {
      for (;;) writeSync(fd, chunk)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    } finally {
      closeSync(fd)
    }
  }

  /** The space comes back. */
  public free(): void {
    rmSync(join(this.dir, FILLER), { force: true })
  }

  public unmount(): void {
    try {
      execFileSync('umount', ['-l', this.dir])
    } catch {
      // Already gone: nothing to do.
    }
  }
}
