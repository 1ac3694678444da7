import type { ProxyMediatorStatus, UpstreamMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { mediatorStatus } from '../../__tests__/support/statusFixtures'
import { createRunnerMetrics } from '../createRunnerMetrics'

const mediator = mediatorStatus

function status(
  relayed: number,
  state: ProxyMediatorStatus['status'] = 'ready',
  mediators: UpstreamMediatorStatus[] = [],
  failovers = 0,
): ProxyMediatorStatus {
  return {
    status: state,
    reason: `the proxy is ${state}`,
    upstream: { routingKeys: [], socketState: 'open', reconnects: 2 },
    mediators,
    failovers,
    agents: [
      {
        connectionId: 'c',
        mediationState: 'granted',
        keyCount: 1,
        recipientKeys: ['did:key:z6Mk'],
        state: 'failing',
        failingSince: new Date(0).toISOString(),
        lastError: 'connection refused by http://agent:8020: is the agent running and listening there?',
        backlog: 2,
        oldestUndeliveredMs: 90_000,
        failedAttempts: 3,
      },
    ],
    counters: { relayed, deadLettered: 4, inFlight: 5, failedAttempts: 3, outbox: 6, heldInMemory: 7 },
    storage: { writable: false, failingSince: new Date(0).toISOString(), reason: 'storage full: ENOSPC' },
  }
}

describe('createRunnerMetrics', () => {
  it('exposes the module counters, gauges, state and the relay latency histogram', async () => {
    let current: ProxyMediatorStatus | undefined = status(7)
    const metrics = createRunnerMetrics(() => current)
    metrics.observeRelayLatency(20)
    metrics.observeRelayLatency(300)

    const text = await metrics.registry.metrics()
    expect(text).toContain('proxy_mediator_messages_relayed_total 7')
    expect(text).toContain('proxy_mediator_relay_attempts_failed_total 3')
    expect(text).toContain('proxy_mediator_agent_failing{agent="c"} 1')
    expect(text).toContain('proxy_mediator_oldest_undelivered_seconds 90')
    expect(text).toContain('proxy_mediator_messages_dead_lettered_total 4')
    expect(text).toContain('proxy_mediator_upstream_reconnects_total 2')
    expect(text).toContain('proxy_mediator_relays_in_flight 5')
    expect(text).toContain('proxy_mediator_outbox_messages 6')
    expect(text).toContain('proxy_mediator_messages_held_in_memory 7')
    expect(text).toContain('proxy_mediator_storage_writable 0')
    expect(text).toContain('proxy_mediator_upstream_state{state="ready"} 1')
    expect(text).toContain('proxy_mediator_upstream_state{state="init"} 0')
    expect(text).toContain('proxy_mediator_relay_duration_seconds_count 2')
    expect(text).toContain('proxy_mediator_relay_duration_seconds_bucket{le="0.025"} 1')
    expect(text).toContain('process_cpu_user_seconds_total')

    current = status(10)
    expect(await metrics.registry.metrics()).toContain('proxy_mediator_messages_relayed_total 10')
    current = undefined
    expect(await metrics.registry.metrics()).toContain('proxy_mediator_messages_relayed_total 10')
  })

  it('labels each external mediator, drops a removed one, and counts failovers', async () => {
    let current = status(0, 'ready', [
      mediator('m-new', { heldMessages: 4, relaysInFlight: 2, reconnects: 1 }),
      mediator('m-old', {
        role: 'draining',
        namedInGrants: false,
        state: 'setup',
        socketState: 'closed',
        reconnects: 5,
      }),
    ])
    const metrics = createRunnerMetrics(() => current)
    const text = await metrics.registry.metrics()
    expect(text).toContain('proxy_mediator_mediator_ready{mediator="m-new"} 1')
    expect(text).toContain('proxy_mediator_mediator_ready{mediator="m-old"} 0')
    expect(text).toContain('proxy_mediator_mediator_socket_open{mediator="m-new"} 1')
    expect(text).toContain('proxy_mediator_mediator_socket_open{mediator="m-old"} 0')
    expect(text).toContain('proxy_mediator_mediator_reconnects{mediator="m-old"} 5')
    expect(text).toContain('proxy_mediator_mediator_held_messages{mediator="m-new"} 4')
    // Never reported: no series rather than a made-up 0.
    expect(text).not.toContain('proxy_mediator_mediator_held_messages{mediator="m-old"}')
    expect(text).toContain('proxy_mediator_mediator_relays_in_flight{mediator="m-new"} 2')
    expect(text).toContain('proxy_mediator_mediator_primary{mediator="m-new"} 1')
    expect(text).toContain('proxy_mediator_mediator_primary{mediator="m-old"} 0')
    expect(text).toContain('proxy_mediator_mediator_named_in_grants{mediator="m-old"} 0')
    expect(text).toContain('proxy_mediator_failovers_total 0')

    current = status(0, 'ready', [mediator('m-new')], 2)
    const after = await metrics.registry.metrics()
    expect(after).not.toContain('mediator="m-old"')
    expect(after).toContain('proxy_mediator_failovers_total 2')
  })
})
