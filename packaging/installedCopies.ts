import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Every copy of a package under an app's node_modules, nested ones included, as
 * `<version> at <folder>`: two copies of `@credo-ts/core` register services against two
 * containers (tsyringe's "TypeInfo not known"), two of class-transformer lose decorators.
 */
export function installedCopies(appDir: string, name: string): string[] {
  const copies: string[] = []
  const visit = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return
    const manifest = join(nodeModules, name, 'package.json')
    if (existsSync(manifest)) {
      copies.push(`${JSON.parse(readFileSync(manifest, 'utf8')).version} at ${join(nodeModules, name)}`)
    }
    for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue
      const packages = entry.name.startsWith('@')
        ? readdirSync(join(nodeModules, entry.name), { withFileTypes: true })
            .filter((scoped) => scoped.isDirectory())
            .map((scoped) => join(nodeModules, entry.name, scoped.name))
        : [join(nodeModules, entry.name)]
      for (const folder of packages) visit(join(folder, 'node_modules'))
    }
  }
  visit(join(appDir, 'node_modules'))
  return copies
}
