import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { RoleProcess } from '@proxy-mediator/topology'
import type { ScratchApp } from './scratchApp'

/**
 * Forks an entry file compiled in a scratch app, with a home folder of its own: the READMEs' samples
 * keep their wallets under Credo's default data path (`~/.afj`), which must start empty on every run
 * and never be the user's.
 */
export function startInApp(app: ScratchApp, name: string, entry: string, workDir: string): RoleProcess {
  const home = join(workDir, `home-${app.credoVersion}-${name}`)
  mkdirSync(home, { recursive: true })
  return RoleProcess.start(name, entry, { HOME: home })
}
