import type { AgentContext } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { RelayCounters } from '../RelayCounters'
import { RelayRetryLoop } from '../RelayRetryLoop'
import type { RelayAttempt, RelayService } from '../RelayService'

const agentContext = {} as AgentContext
const forward = { recipientKey: 'agent-key', envelope: { protected: 'p', iv: 'i', ciphertext: 'c', tag: 't' } }

/** The retry loop with the relay stubbed: what each sequence of agent answers settles as. */
function loopWith(attempts: RelayAttempt[]) {
  const relayOnce = jest.fn(async () => attempts.shift() ?? ({ kind: 'relayed', status: 200 } as RelayAttempt))
  const deadLetter = jest.fn()
  const counters = new RelayCounters()
  const loop = new RelayRetryLoop(
    { relayOnce, deadLetter } as unknown as RelayService,
    new ProxyMediatorModuleConfig({ relayRetryBaseDelayMs: 1, relayRetryMaxDelayMs: 2 }),
    counters,
  )
  loop.start()
  return { loop, relayOnce, deadLetter, counters }
}

describe('RelayRetryLoop', () => {
  it('retries a failing agent until it answers 2xx, and counts the retries', async () => {
    const failed: RelayAttempt = { kind: 'failed', reason: 'ECONNREFUSED', permanent: false }
    const { loop, relayOnce, counters, deadLetter } = loopWith([failed, failed, failed])
    await expect(loop.relayUntilSettled(agentContext, forward)).resolves.toBe('relayed')
    expect(relayOnce).toHaveBeenCalledTimes(4)
    expect(counters.retried).toBe(3)
    expect(deadLetter).not.toHaveBeenCalled()
  })

  it('dead-letters a message the agent keeps rejecting with a 4xx, with the envelope', async () => {
    const rejected: RelayAttempt = { kind: 'failed', reason: 'agent answered HTTP 400', permanent: true }
    const { loop, deadLetter } = loopWith([rejected, rejected, rejected, rejected])
    await expect(loop.relayUntilSettled(agentContext, forward)).resolves.toBe('dead-lettered')
    expect(deadLetter).toHaveBeenCalledWith(
      agentContext,
      'agent keeps rejecting it: agent answered HTTP 400',
      'agent-key',
      forward.envelope,
    )
  })

  it('ends a waiting retry as stopped, so that the message is not acknowledged', async () => {
    const failed: RelayAttempt = { kind: 'failed', reason: 'timeout', permanent: false }
    const { loop } = loopWith(Array.from({ length: 1000 }, () => failed))
    const settled = loop.relayUntilSettled(agentContext, forward)
    loop.stop()
    await expect(settled).resolves.toBe('stopped')
  })
})
