import { spawnSync } from 'node:child_process'

export interface CommandResult {
  stdout: string
  stderr: string
}

/**
 * Runs a command to its end and returns its output; throws with the command line, the status and
 * the tail of both streams when it fails, so that a failed step of `yarn test:packages` says why.
 */
export function command(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): CommandResult {
  const result = spawnSync(file, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  })
  const stdout = result.stdout ?? ''
  const stderr = result.stderr ?? ''
  if (result.error || result.status !== 0) {
    const tail = (text: string) => text.trim().split('\n').slice(-30).join('\n')
    throw new Error(
      `${file} ${args.join(' ')} (in ${options.cwd}) failed: ${result.error?.message ?? `status ${result.status}`}\n${tail(stdout)}\n${tail(stderr)}`,
    )
  }
  return { stdout, stderr }
}

/**
 * npm, with the environment yarn gives a script stripped of its `npm_*` variables: yarn exports its
 * own settings as npm config (its registry mirror, git-tag options), which npm warns about and which
 * would send npm to another registry than the one its cache holds. npm reads its .npmrc files as usual.
 */
export function npm(args: string[], options: { cwd: string; timeoutMs?: number }): CommandResult {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))
  return command('npm', args, { ...options, env })
}
