import { spawnSync } from 'node:child_process'
import { getPriority } from 'node:os'
import { join } from 'node:path'

// In a child process: a lowered priority cannot be taken back, and Jest's worker must keep its own.
function yieldInChild(first: number, second: number) {
  const script = `
    const { spawn } = require('node:child_process')
    const { getPriority } = require('node:os')
    const { yieldToChildren } = require(${JSON.stringify(join(__dirname, '..', 'priority.ts'))})
    const earlier = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'])
    const first = yieldToChildren(${first})
    const afterFirst = getPriority()
    const second = yieldToChildren(${second})
    const afterSecond = getPriority()
    const earlierChild = getPriority(earlier.pid)
    earlier.kill()
    process.stdout.write(JSON.stringify({ first, afterFirst, second, afterSecond, earlierChild }))
  `
  const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    encoding: 'utf8',
  })
  if (child.status !== 0) throw new Error(child.stderr)
  return JSON.parse(child.stdout)
}

describe('yieldToChildren', () => {
  it('lowers only its own priority, returns the one it had, and never raises it again', () => {
    const original = getPriority()
    const lowered = Math.max(original, 7)
    expect(yieldInChild(7, 3)).toEqual({
      first: original,
      afterFirst: lowered,
      second: lowered,
      afterSecond: lowered,
      // A process started before keeps the priority it had: the runner and the sink win the cores.
      earlierChild: original,
    })
  })
})
