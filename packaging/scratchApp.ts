import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { npm } from './command'

const REPO_ROOT = join(__dirname, '..')

/** A scratch Credo app: its folder and the Credo release it was made with. */
export interface ScratchApp {
  dir: string
  credoVersion: string
}

export interface ScratchAppOptions {
  /** The folder's name under the root. */
  name: string
  credoVersion: string
  /** The packed packages to install into it. */
  tarballs: string[]
}

// From the npm cache whenever it holds what is asked: a rerun downloads nothing. Scripts are off
// for the one native build there is (better-sqlite3, see borrowSqliteBinary); the packages that
// keep prebuilt binaries (ffi-napi, ref-napi, under @credo-ts/node) need no script to load them.
const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts']

/**
 * An app as a Credo 0.5 user has it: `@credo-ts/core` and `@credo-ts/node` at one release, installed
 * first; then the packed packages installed into it with `npm install <tarball>`, as the README says.
 * Its `overrides` are what such an app needs anyway under npm (`@animo-id/pex`, whose preinstall
 * refuses npm, as in the monorepo's `resolutions`), and better-sqlite3 at the monorepo's release so
 * that its binary can be borrowed.
 */
export function createScratchApp(root: string, { name, credoVersion, tarballs }: ScratchAppOptions): ScratchApp {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  const manifest = {
    name: `scratch-${name.replace(/\W/g, '-')}`,
    version: '0.0.0',
    private: true,
    dependencies: { '@credo-ts/core': credoVersion, '@credo-ts/node': credoVersion },
    devDependencies: { typescript: monorepoVersion('typescript'), '@types/node': monorepoVersion('@types/node') },
    overrides: {
      '@animo-id/pex': monorepoVersion('@animo-id/pex'),
      'better-sqlite3': monorepoVersion('better-sqlite3'),
    },
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  npm(NPM_INSTALL, { cwd: dir })
  npm([...NPM_INSTALL, ...tarballs], { cwd: dir })
  borrowSqliteBinary(dir)
  return { dir, credoVersion }
}

/** The release of a package installed in the monorepo. */
function monorepoVersion(name: string): string {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
}

/**
 * better-sqlite3 downloads a prebuilt binary at install, outside the npm registry, and compiles its
 * source (about 3 minutes on 2 cores) where it cannot, as on this project's machines. The monorepo's
 * `yarn setup` has compiled the same release for the same Node, so the scratch app takes that
 * binary: what is under test is the packed packages, not SQLite's build.
 */
function borrowSqliteBinary(appDir: string): void {
  const installed = join(appDir, 'node_modules', 'better-sqlite3', 'package.json')
  const version = JSON.parse(readFileSync(installed, 'utf8')).version
  if (version !== monorepoVersion('better-sqlite3')) {
    throw new Error(`${installed} is ${version}, not the monorepo's ${monorepoVersion('better-sqlite3')}`)
  }
  const release = join('node_modules', 'better-sqlite3', 'build', 'Release')
  mkdirSync(join(appDir, release), { recursive: true })
  copyFileSync(join(REPO_ROOT, release, 'better_sqlite3.node'), join(appDir, release, 'better_sqlite3.node'))
}
