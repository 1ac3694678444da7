import type { ProxyMediatorStatus, UpstreamMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { StatusHistory } from '../../history/StatusHistory'
import type { RunnerFacts } from '../../runner/RunnerFacts'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'

/** One external mediator as `getStatus().mediators` lists it: a ready primary, unless overridden. */
export function mediatorStatus(id: string, overrides: Partial<UpstreamMediatorStatus> = {}): UpstreamMediatorStatus {
  return {
    id,
    role: 'primary',
    state: 'ready',
    addedAt: '2026-01-01T00:00:00.000Z',
    routingKeys: [],
    socketState: 'open',
    reconnects: 0,
    relaysInFlight: 0,
    namedInGrants: true,
    ...overrides,
  }
}

/** A complete `getStatus()`: in `init` with nothing set up, unless overridden. */
export function proxyStatus(overrides: Partial<ProxyMediatorStatus> = {}): ProxyMediatorStatus {
  return {
    status: 'init',
    reason: 'No external mediator is set up yet.',
    upstream: { routingKeys: [], socketState: 'none', reconnects: 0 },
    mediators: [],
    failovers: 0,
    agents: [],
    counters: { relayed: 0, deadLettered: 0, inFlight: 0, failedAttempts: 0, outbox: 0, heldInMemory: 0 },
    storage: { writable: true },
    ...overrides,
  }
}

/** What a route test's fake proxy answers to the dead-letter actions when the test does not use them. */
export const noDeadLetterActions: Pick<
  ProxyMediatorControl,
  'replayDeadLetters' | 'replayDeadLettersOf' | 'deleteDeadLetters' | 'deleteAllDeadLetters'
> = {
  replayDeadLetters: async () => ({ replayed: [], refused: [] }),
  replayDeadLettersOf: async () => ({ replayed: [], refused: [] }),
  deleteDeadLetters: async () => 0,
  deleteAllDeadLetters: async () => 0,
}

/** The facts of a runner as a route test shows them: fixed versions, a start an hour ago. */
export function runnerFactsFixture(configuration: Record<string, unknown> = { port: 3000 }): RunnerFacts {
  return {
    versions: { runner: '9.8.7', module: '1.2.3', credo: '0.5.19', node: 'v20.0.0' },
    startedAt: new Date(Date.now() - 60 * 60 * 1000),
    configuration,
  }
}

/** A history over the given status, sampled only when the test says. */
export function historyOf(read: () => ProxyMediatorStatus | undefined): StatusHistory {
  return new StatusHistory({ read })
}
