import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

// Runs the built demo (`yarn test` builds first), as `yarn demo` does.
const demoCli = join(__dirname, '..', '..', '..', 'build', 'demo', 'cli.js')

describe('yarn demo', () => {
  it('delivers every message through the real runner and exits 0', () => {
    expect(existsSync(demoCli)).toBe(true)
    const result = spawnSync(process.execPath, [demoCli, '--messages', '5'], { encoding: 'utf8', timeout: 110_000 })
    expect(result.stdout).toContain('delivered 5/5 messages')
    expect(result.status).toBe(0)
  })
})
