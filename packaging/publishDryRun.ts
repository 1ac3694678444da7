import { join } from 'node:path'
import { npm } from './command'
import { PUBLISHED_PACKAGES } from './packPackages'

const REPO_ROOT = join(__dirname, '..')

// The one warning a dry run gives on a machine that is not logged in to the registry, as CI is not.
const NOT_LOGGED_IN = /^npm warn publish This command requires you to be logged in .*\(dry-run\)$/

/**
 * `npm publish --dry-run` of each published package; returns what npm would publish, and throws
 * when npm fails or warns about anything (a manifest it would correct, a missing field), but for
 * the not-logged-in warning.
 */
export function publishDryRun(): string[] {
  return Object.values(PUBLISHED_PACKAGES).map((folder) => {
    const { stdout, stderr } = npm(['publish', '--dry-run'], { cwd: join(REPO_ROOT, folder) })
    const warnings = stderr.split('\n').filter((line) => /^npm (warn|error)/i.test(line) && !NOT_LOGGED_IN.test(line))
    if (warnings.length) throw new Error(`npm publish --dry-run in ${folder} warned:\n${warnings.join('\n')}`)
    return stdout.trim()
  })
}
