import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { createRunnerMetrics } from '../createRunnerMetrics'

function status(relayed: number, state: ProxyMediatorStatus['status'] = 'ready'): ProxyMediatorStatus {
  return {
    status: state,
    reason: `the proxy is ${state}`,
    upstream: { routingKeys: [], socketState: 'open', reconnects: 2 },
    mediators: [],
    agents: [
      { connectionId: 'c', mediationState: 'granted', keyCount: 1, recipientKeys: ['did:key:z6Mk'], failures: 0 },
    ],
    counters: { relayed, retried: 1, failed: 3, deadLettered: 4, inFlight: 5, outbox: 6 },
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
    expect(text).toContain('proxy_mediator_relay_retries_total 1')
    expect(text).toContain('proxy_mediator_relay_failures_total 3')
    expect(text).toContain('proxy_mediator_messages_dead_lettered_total 4')
    expect(text).toContain('proxy_mediator_upstream_reconnects_total 2')
    expect(text).toContain('proxy_mediator_relays_in_flight 5')
    expect(text).toContain('proxy_mediator_outbox_messages 6')
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
})
