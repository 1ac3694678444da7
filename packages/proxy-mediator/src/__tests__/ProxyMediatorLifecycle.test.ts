import type { ProxyHealth } from '../ProxyHealth'
import { ProxyMediatorLifecycle } from '../ProxyMediatorLifecycle'
import type { AgentKeylists } from '../services/downstream/AgentKeylists'
import type { AgentDirectory } from '../services/relay/AgentDirectory'
import type { RelayPipeline } from '../services/relay/RelayPipeline'
import type { UpstreamMediators } from '../services/upstream/UpstreamMediators'
import type { Egress } from '../transport/Egress'
import { testAgentContext } from './support/testAgentContext'

/**
 * The order of start and stop, from a log of the calls the lifecycle makes on its parts (all
 * fakes). A step that returns a promise is logged when it is called and again when it settles, so
 * that a step the lifecycle does not wait for shows.
 */
describe('ProxyMediatorLifecycle', () => {
  const { agentContext, logger } = testAgentContext()
  let calls: string[]
  let outboxPending: number
  /** Set: the upstream's start throws it (a mediator's connection record deleted, say). */
  let upstreamStartFailure: Error | undefined
  /** Lets the relays in flight settle: `pipeline.drain` waits until this is called. */
  let relaysSettle: () => void
  let lifecycle: ProxyMediatorLifecycle

  /** A step that returns at once. */
  const step = (name: string) => () => {
    calls.push(name)
  }
  /** A step that resolves on a later turn, logged when called and when done. */
  const asyncStep =
    <T>(name: string, result?: () => T) =>
    async () => {
      calls.push(name)
      await new Promise(setImmediate)
      calls.push(`${name} done`)
      return result?.()
    }

  beforeEach(() => {
    calls = []
    outboxPending = 0
    upstreamStartFailure = undefined
    const drained = new Promise<void>((resolve) => {
      relaysSettle = resolve
    })
    lifecycle = new ProxyMediatorLifecycle(
      { load: asyncStep('directory.load'), stop: step('directory.stop') } as unknown as AgentDirectory,
      { load: asyncStep('keylists.load') } as unknown as AgentKeylists,
      {
        start: step('pipeline.start'),
        resumeOutbox: asyncStep('pipeline.resumeOutbox', () => outboxPending),
        stop: step('pipeline.stop'),
        drain: async () => {
          calls.push('pipeline.drain')
          await drained
          calls.push('pipeline.drain done')
        },
        close: step('pipeline.close'),
      } as unknown as RelayPipeline,
      {
        start: async () => {
          if (upstreamStartFailure) throw upstreamStartFailure
          await asyncStep('upstream.start')()
        },
        stopPickup: asyncStep('upstream.stopPickup'),
        stop: asyncStep('upstream.stop'),
      } as unknown as UpstreamMediators,
      { start: step('health.start'), stop: step('health.stop') } as unknown as ProxyHealth,
      { close: asyncStep('egress.close') } as unknown as Egress,
    )
  })

  it('starts the relay and the routing table (agents, then their keys) before the outbox and pickup, then health', async () => {
    await lifecycle.start(agentContext)
    expect(calls).toEqual([
      'pipeline.start',
      'directory.load',
      'directory.load done',
      'keylists.load',
      'keylists.load done',
      'pipeline.resumeOutbox',
      'pipeline.resumeOutbox done',
      'upstream.start',
      'upstream.start done',
      'health.start',
    ])
  })

  it('says how many messages it resumes from the outbox, and nothing when there are none', async () => {
    relaysSettle()
    outboxPending = 3
    await lifecycle.start(agentContext)
    expect(logger.info).toHaveBeenCalledWith('Resuming 3 undelivered messages from the outbox')
    logger.info.mockClear()
    await lifecycle.stop()
    outboxPending = 0
    await lifecycle.start(agentContext)
    expect(logger.info).not.toHaveBeenCalled()
  })

  it('starts once, however often it is asked, and again after a stop', async () => {
    relaysSettle()
    await lifecycle.start(agentContext)
    await lifecycle.start(agentContext)
    expect(calls.filter((call) => call === 'pipeline.start')).toHaveLength(1)
    await lifecycle.stop()
    await lifecycle.start(agentContext)
    expect(calls.filter((call) => call === 'pipeline.start')).toHaveLength(2)
  })

  it('undoes a start that failed, so that it can be started again once the cause is fixed', async () => {
    relaysSettle()
    upstreamStartFailure = new Error('the mediator connection record is gone')
    await expect(lifecycle.start(agentContext)).rejects.toThrow('the mediator connection record is gone')
    // Everything started before the failure is stopped again.
    expect(calls).toEqual(expect.arrayContaining(['pipeline.stop', 'upstream.stop done', 'pipeline.close']))
    upstreamStartFailure = undefined
    calls = []
    await lifecycle.start(agentContext)
    expect(calls).toContain('upstream.start done')
    expect(calls).toContain('health.start')
  })

  it('stops pickup first, then lets the relays in flight settle, and only then writes their acknowledgements and closes the channel', async () => {
    await lifecycle.start(agentContext)
    calls = []
    const stopped = lifecycle.stop()
    // Waits for the relays in flight: nothing after the drain has happened yet.
    await new Promise(setImmediate)
    await new Promise(setImmediate)
    expect(calls).toEqual([
      'health.stop',
      'upstream.stopPickup',
      'upstream.stopPickup done',
      'directory.stop',
      'pipeline.stop',
      'pipeline.drain',
    ])
    relaysSettle()
    await stopped
    expect(calls.slice(6)).toEqual([
      'pipeline.drain done',
      'upstream.stop',
      'upstream.stop done',
      'pipeline.close',
      'egress.close',
      'egress.close done',
    ])
  })
})
