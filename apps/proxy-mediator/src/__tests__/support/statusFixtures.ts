import type { ProxyMediatorStatus, UpstreamMediatorStatus } from '@proxy-mediator/proxy-mediator'

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
