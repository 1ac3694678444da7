import type { ProxyMediatorState, ProxyMediatorStatus, UpstreamMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface RunnerMetrics {
  registry: Registry
  /** Fed from the module's MessageRelayed events. */
  observeRelayLatency(latencyMs: number): void
  /** One request refused for its input, by reason (the error code of the answer). */
  countRejection(reason: string): void
}

const STATES: ProxyMediatorState[] = ['init', 'setup', 'ready', 'degraded']

/**
 * Prometheus metrics of the proxy. The module already counts relays in its status, so the
 * counters are synced from `getStatus()` at scrape time (one source of truth, nothing to
 * double-count); only the latency histogram needs the events.
 */
export function createRunnerMetrics(getStatus: () => ProxyMediatorStatus | undefined): RunnerMetrics {
  // A registry of our own, not the global one, so that tests and embedders can make several.
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const syncedCounter = (name: string, help: string, read: (status: ProxyMediatorStatus) => number) => {
    let seen = 0
    return new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const status = getStatus()
        if (!status) return
        const value = read(status)
        // The module's counters only grow; if one went down the module was restarted in-process.
        if (value > seen) this.inc(value - seen)
        seen = value
      },
    })
  }

  syncedCounter(
    'proxy_mediator_messages_relayed_total',
    'Forwards relayed to an agent and answered with a 2xx.',
    (s) => s.counters.relayed,
  )
  syncedCounter(
    'proxy_mediator_relay_attempts_failed_total',
    'Relay attempts that failed (non-2xx, timeout, refused); a message may fail several times before it is relayed.',
    (s) => s.counters.failedAttempts,
  )
  syncedCounter(
    'proxy_mediator_messages_dead_lettered_total',
    'Forwards that can never be relayed.',
    (s) => s.counters.deadLettered,
  )
  syncedCounter(
    'proxy_mediator_upstream_reconnects_total',
    'Reconnects to the external mediator.',
    (s) => s.upstream.reconnects,
  )

  syncedCounter(
    'proxy_mediator_failovers_total',
    'Times new grants failed over from a primary external mediator that stayed down (primary-failover-after).',
    (s) => s.failovers,
  )

  // One series per external mediator, by its id (the proxy's connection id to it). Rebuilt at each
  // scrape, so a removed mediator's series go away with it.
  const perMediator = (name: string, help: string, read: (mediator: UpstreamMediatorStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['mediator'],
      registers: [registry],
      collect() {
        this.reset()
        for (const mediator of getStatus()?.mediators ?? []) {
          const value = read(mediator)
          if (value !== undefined) this.set({ mediator: mediator.id }, value)
        }
      },
    })
  perMediator(
    'proxy_mediator_mediator_ready',
    'Whether the external mediator is picked up from (1) or not (0).',
    (m) => (m.state === 'ready' ? 1 : 0),
  )
  perMediator('proxy_mediator_mediator_socket_open', 'Whether the websocket to the external mediator is open.', (m) =>
    m.socketState === 'open' ? 1 : 0,
  )
  perMediator(
    'proxy_mediator_mediator_reconnects',
    'Reconnects to the external mediator since the process started.',
    (m) => m.reconnects,
  )
  perMediator(
    'proxy_mediator_mediator_held_messages',
    'Messages the external mediator said it holds for the proxy (pickup 2.0 status); absent until it says.',
    (m) => m.heldMessages,
  )
  perMediator(
    'proxy_mediator_mediator_relays_in_flight',
    'Forwards picked up from the external mediator that are being relayed now.',
    (m) => m.relaysInFlight,
  )
  perMediator(
    'proxy_mediator_mediator_primary',
    'Whether the external mediator is the primary (1); standby and draining ones are 0.',
    (m) => (m.role === 'primary' ? 1 : 0),
  )
  perMediator(
    'proxy_mediator_mediator_named_in_grants',
    'Whether new grants to agents name the external mediator now: the primary, or the one failed over to.',
    (m) => (m.namedInGrants ? 1 : 0),
  )

  new Gauge({
    name: 'proxy_mediator_storage_writable',
    help: "Whether the proxy's store takes writes (1) or not (0, a full disk): implicit pickup pauses, posted forwards get 503.",
    registers: [registry],
    collect() {
      this.set(getStatus()?.storage.writable === false ? 0 : 1)
    },
  })

  new Gauge({
    name: 'proxy_mediator_messages_held_in_memory',
    help: 'Messages taken by implicit pickup while the store took no writes, relayed from memory until written or delivered.',
    registers: [registry],
    collect() {
      this.set(getStatus()?.counters.heldInMemory ?? 0)
    },
  })

  new Gauge({
    name: 'proxy_mediator_agent_failing',
    help: 'Whether relays to the agent have failed for agent-failing-after with none succeeding (1) or not (0).',
    labelNames: ['agent'],
    registers: [registry],
    collect() {
      this.reset()
      for (const agent of getStatus()?.agents ?? [])
        this.set({ agent: agent.connectionId }, agent.state === 'failing' ? 1 : 0)
    },
  })

  new Gauge({
    name: 'proxy_mediator_oldest_undelivered_seconds',
    help: 'How long the oldest message taken and not yet delivered to its agent has waited (0 when none waits).',
    registers: [registry],
    collect() {
      const ages = (getStatus()?.agents ?? []).map((agent) => agent.oldestUndeliveredMs ?? 0)
      this.set(Math.max(0, ...ages) / 1000)
    },
  })

  new Gauge({
    name: 'proxy_mediator_relays_in_flight',
    help: 'Messages taken and not yet delivered: being POSTed to their agent, or waiting for their next attempt.',
    registers: [registry],
    collect() {
      this.set(getStatus()?.counters.inFlight ?? 0)
    },
  })
  new Gauge({
    name: 'proxy_mediator_outbox_messages',
    help: 'Messages waiting in the durable outbox (implicit pickup only).',
    registers: [registry],
    collect() {
      this.set(getStatus()?.counters.outbox ?? 0)
    },
  })
  new Gauge({
    name: 'proxy_mediator_agents',
    help: 'Agents connected to the proxy.',
    registers: [registry],
    collect() {
      this.set(getStatus()?.agents.length ?? 0)
    },
  })
  new Gauge({
    name: 'proxy_mediator_upstream_state',
    help: 'State of the proxy toward the external mediator: 1 for the current state, 0 for the others.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const current = getStatus()?.status
      for (const state of STATES) this.set({ state }, state === current ? 1 : 0)
    },
  })

  const latency = new Histogram({
    name: 'proxy_mediator_relay_duration_seconds',
    help: 'Time of one successful relay POST to an agent.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })

  const rejections = new Counter({
    name: 'proxy_mediator_rejected_requests_total',
    help: 'Requests refused for their input (4xx), by reason.',
    labelNames: ['reason'],
    registers: [registry],
  })

  return {
    registry,
    observeRelayLatency: (latencyMs) => latency.observe(latencyMs / 1000),
    countRejection: (reason) => rejections.inc({ reason }),
  }
}
