import { join } from 'node:path'
import { startEdgeAgent, startExternalMediator, waitFor } from '@proxy-mediator/topology'
import { type Topology, sendMessages, startTopology } from './support/topology'

/** Polls until `predicate` holds; rejects after `timeoutMs` naming what was awaited. */
async function until(predicate: () => boolean, timeoutMs: number, what: string) {
  await waitFor(() => (predicate() ? 1 : 0), 1, timeoutMs, what)
}

describe('no message is lost', () => {
  let topology: Topology

  beforeAll(async () => {
    topology = await startTopology({
      proxy: { relayRetryBaseDelayMs: 200, relayRetryMaxDelayMs: 1000, redeliveryCheckIntervalMs: 1000 },
    })
  })

  afterAll(async () => {
    await topology?.stop()
  })

  it('holds messages upstream while the agent is down and delivers all 20 after it restarts', async () => {
    const { agent } = topology
    const agentPort = Number(new URL(agent.endpoints[0]).port)
    await agent.stop()
    const relayedBefore = topology.proxy.api.getStatus().counters.relayed

    const sent = await sendMessages(topology, 'agent-down', 20)
    // Relays fail while the agent is down; nothing is acknowledged, so the mediator keeps all 20.
    await until(() => topology.proxy.api.getStatus().counters.failedAttempts >= 20, 30_000, 'failed relays')
    expect(topology.mediator.queue.size).toBeGreaterThanOrEqual(20)
    expect(topology.proxy.api.getStatus().counters.relayed).toBe(relayedBefore)

    topology.agent = await startEdgeAgent({ port: agentPort, label: 'agent', storagePath: join(topology.dir, 'agent') })
    // At-least-once: a message may arrive twice (offered again upstream while being retried).
    await waitFor(() => new Set(topology.agent.received).size, 20, 60_000)
    expect(new Set(topology.agent.received)).toEqual(new Set(sent))
    await until(() => topology.mediator.queue.size === 0, 30_000, 'the upstream queue to drain')
  })

  it('detects a half-open socket, reconnects, and loses nothing', async () => {
    const reconnectsBefore = topology.proxy.api.getStatus().upstream.reconnects
    // The mediator stops reading the proxy's socket without closing it: pings go unanswered.
    for (const socket of topology.mediator.inboundSockets()) {
      ;(socket as unknown as { _socket: { pause(): void } })._socket.pause()
    }
    await until(() => topology.proxy.api.getStatus().upstream.reconnects > reconnectsBefore, 30_000, 'a reconnect')
    await until(() => topology.proxy.api.getStatus().status === 'ready', 30_000, 'ready again')

    const received = topology.agent.received.length
    const sent = await sendMessages(topology, 'after-half-open', 10)
    await waitFor(() => new Set(topology.agent.received.slice(received)).size, 10, 60_000)
    expect(new Set(topology.agent.received.slice(received))).toEqual(new Set(sent))
  })

  it('resumes pickup after the external mediator restarts', async () => {
    const { mediator } = topology
    const port = Number(new URL(mediator.endpoints[0]).port)
    const reconnectsBefore = topology.proxy.api.getStatus().upstream.reconnects
    await mediator.stop()
    await until(() => topology.proxy.api.getStatus().status === 'setup', 30_000, 'the proxy to notice')

    topology.mediator = await startExternalMediator({
      port,
      storagePath: join(topology.dir, 'mediator'),
      queue: mediator.queue,
    })
    await until(() => topology.proxy.api.getStatus().status === 'ready', 60_000, 'ready again')
    expect(topology.proxy.api.getStatus().upstream.reconnects).toBeGreaterThan(reconnectsBefore)

    const received = topology.agent.received.length
    const sent = await sendMessages(topology, 'after-restart', 10)
    await waitFor(() => new Set(topology.agent.received.slice(received)).size, 10, 60_000)
    expect(new Set(topology.agent.received.slice(received))).toEqual(new Set(sent))
  })
})
