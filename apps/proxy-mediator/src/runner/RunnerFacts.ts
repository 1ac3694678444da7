import type { RunnerConfig } from '../config/RunnerConfig'
import { runnerVersion } from '../config/commandLine'
import { configInEffect } from '../config/configInEffect'

/** What the operator's page and GET /about say of the running process. */
export interface RunnerFacts {
  versions: { runner: string; module: string; credo: string; node: string }
  startedAt: Date
  /** The configuration in effect, secrets masked (`configInEffect`). */
  configuration: Record<string, unknown>
}

/** The facts of this process: the versions from the packages' own package.json files. */
export function runnerFacts(config: RunnerConfig, startedAt = new Date()): RunnerFacts {
  return {
    versions: {
      runner: runnerVersion(),
      module: packageVersion('@proxy-mediator/proxy-mediator'),
      credo: packageVersion('@credo-ts/core'),
      node: process.version,
    },
    startedAt,
    configuration: configInEffect(config),
  }
}

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version
}

/** Whole seconds since the process started. */
export function uptimeSeconds(facts: RunnerFacts, now = Date.now()): number {
  return Math.max(0, Math.floor((now - facts.startedAt.getTime()) / 1000))
}
