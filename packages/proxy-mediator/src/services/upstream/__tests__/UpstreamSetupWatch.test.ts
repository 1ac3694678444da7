import type { AgentContext, ConnectionService } from '@credo-ts/core'
import { UpstreamSetupWatch } from '../UpstreamSetupWatch'

describe('UpstreamSetupWatch', () => {
  const agentContext = {} as AgentContext
  const getByThreadId = jest.fn(async (_context: AgentContext, threadId: string) => {
    if (threadId === 'request-thread') return { id: 'mediator-connection' }
    throw new Error('not found')
  })
  const watch = () => new UpstreamSetupWatch({ getByThreadId } as unknown as ConnectionService)

  it('fails the set-up with the reason reported for its connection, before or after it asks', async () => {
    const setupWatch = watch()
    const handle = setupWatch.begin()
    await setupWatch.report(agentContext, { connectionId: 'mediator-connection' }, 'mediate-deny')
    await expect(handle.failure('mediator-connection')).rejects.toThrow('mediate-deny')

    const later = handle.failure('another-connection')
    await setupWatch.report(agentContext, { connectionId: 'another-connection' }, 'a problem report')
    await expect(later).rejects.toThrow('a problem report')
    handle.end()
  })

  it('attributes an answer that came before its connection was known by its thread, and keeps the first reason', async () => {
    const setupWatch = watch()
    const handle = setupWatch.begin()
    await setupWatch.report(agentContext, { threadId: 'request-thread' }, 'DID exchange response refused: unsigned')
    await setupWatch.report(agentContext, { connectionId: 'mediator-connection' }, 'what Credo threw after')
    await setupWatch.report(agentContext, { threadId: 'a thread of nobody' }, 'ignored')
    await expect(handle.failure('mediator-connection')).rejects.toThrow('DID exchange response refused: unsigned')
    handle.end()
  })

  it('keeps nothing outside a set-up, and forgets everything once the last one ends', async () => {
    const setupWatch = watch()
    await setupWatch.report(agentContext, { connectionId: 'mediator-connection' }, 'before any set-up')
    const handle = setupWatch.begin()
    const pending = handle.failure('mediator-connection')
    let settled = false
    pending.catch(() => {
      settled = true
    })
    await new Promise(setImmediate)
    expect(settled).toBe(false)
    handle.end()
    expect(setupWatch.active).toBe(false)
    await setupWatch.report(agentContext, { connectionId: 'mediator-connection' }, 'after')
    await new Promise(setImmediate)
    expect(settled).toBe(false)
  })
})
