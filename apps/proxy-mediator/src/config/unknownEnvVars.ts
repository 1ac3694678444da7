import { envVarName, runnerOptions } from './runnerOptions'

const PREFIX = 'PROXY_MEDIATOR_'

/**
 * The `PROXY_MEDIATOR_*` variables that name no option, each with the nearest known name: a
 * misspelled variable is otherwise silently ignored.
 */
export function unknownEnvVars(env: NodeJS.ProcessEnv): Array<{ name: string; nearest: string }> {
  const known = runnerOptions.map((option) => envVarName(option.name))
  return Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !known.includes(name))
    .map((name) => ({ name, nearest: nearestOf(name, known) }))
}

function nearestOf(name: string, candidates: string[]): string {
  let best = candidates[0]
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}
