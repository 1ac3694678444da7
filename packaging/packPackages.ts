import { join } from 'node:path'
import { npm } from './command'

const REPO_ROOT = join(__dirname, '..')

/** The packages an outside app installs, by the folder they are packed from. */
export const PUBLISHED_PACKAGES = {
  proxyMediator: 'packages/proxy-mediator',
  portableWallet: 'packages/portable-wallet',
} as const

export type PublishedPackage = keyof typeof PUBLISHED_PACKAGES
export type Tarballs = Record<PublishedPackage, string>

/** What a tarball may hold: the build's JavaScript and declarations, the README and the manifest. */
const ALLOWED_FILE = /^(build\/.+\.(js|d\.ts)|README\.md|package\.json)$/
const REQUIRED_FILES = ['build/index.js', 'build/index.d.ts', 'README.md', 'package.json']
const TEST_FILE = /(^|\/)__tests__\/|\.test\.(js|d\.ts)$/

interface PackResult {
  filename: string
  files: Array<{ path: string }>
}

/**
 * `npm pack` of each published package, as `npm publish` would pack it, into `destination`; throws
 * when a tarball holds anything but the build and the README (test files, maps, sources) or lacks
 * its entry points.
 */
export function packPackages(destination: string): Tarballs {
  const tarballs = {} as Tarballs
  for (const [name, folder] of Object.entries(PUBLISHED_PACKAGES) as Array<[PublishedPackage, string]>) {
    const { stdout } = npm(['pack', '--json', '--pack-destination', destination], {
      cwd: join(REPO_ROOT, folder),
    })
    const [packed] = JSON.parse(stdout) as PackResult[]
    const paths = packed.files.map((file) => file.path)
    const unexpected = paths.filter((path) => !ALLOWED_FILE.test(path) || TEST_FILE.test(path))
    const missing = REQUIRED_FILES.filter((path) => !paths.includes(path))
    if (unexpected.length || missing.length) {
      throw new Error(
        `${packed.filename}: ${unexpected.length ? `unexpected files ${unexpected.join(', ')}` : ''}${missing.length ? ` missing ${missing.join(', ')}` : ''}`,
      )
    }
    tarballs[name] = join(destination, packed.filename)
  }
  return tarballs
}
