import type { EncryptedMessage } from '@credo-ts/core'
import { RedeliveringMessageQueue } from '../RedeliveringMessageQueue'

const payload = (n: number) => ({ protected: `p${n}`, iv: 'i', ciphertext: 'c', tag: 't' }) as EncryptedMessage

/**
 * The available count is kept by counters (Credo asks for it on every acknowledgement); it must
 * agree with what a take would hand out, whatever was handed out, acknowledged or timed out.
 */
describe('RedeliveringMessageQueue', () => {
  afterEach(() => jest.useRealTimers())

  function fill(queue: RedeliveringMessageQueue) {
    for (let n = 0; n < 5; n++)
      queue.addMessage({ connectionId: 'a', recipientDids: ['did:key:x'], payload: payload(n) })
    for (let n = 0; n < 3; n++)
      queue.addMessage({ connectionId: 'a', recipientDids: ['did:key:y'], payload: payload(n) })
    queue.addMessage({ connectionId: 'b', recipientDids: ['did:key:x'], payload: payload(9) })
  }

  it('counts what a take would hand out, per connection and per recipient', () => {
    jest.useFakeTimers({ now: 1_000_000 })
    const queue = new RedeliveringMessageQueue({ visibilityTimeoutMs: 1000 })
    fill(queue)
    const count = (recipientDid?: string) => queue.getAvailableMessageCount({ connectionId: 'a', recipientDid })
    expect([count(), count('did:key:x'), count('did:key:y'), count('did:key:z')]).toEqual([8, 5, 3, 0])

    const taken = queue.takeFromQueue({ connectionId: 'a', recipientDid: 'did:key:x', limit: 2 })
    expect(taken).toHaveLength(2)
    expect([count(), count('did:key:x'), count('did:key:y')]).toEqual([6, 3, 3])

    queue.removeMessages({ connectionId: 'a', messageIds: [taken[0].id] })
    expect([count(), count('did:key:x')]).toEqual([6, 3])
    expect(queue.getAvailableMessageCount({ connectionId: 'b' })).toBe(1)

    // The one handed out and never acknowledged becomes visible again after the timeout.
    jest.setSystemTime(1_000_000 + 1001)
    expect([count(), count('did:key:x')]).toEqual([7, 4])
    const available = count('did:key:x')
    expect(queue.takeFromQueue({ connectionId: 'a', recipientDid: 'did:key:x' })).toHaveLength(available)
    expect(count('did:key:x')).toBe(0)
  })

  it('counts nothing for a connection once all of its messages are acknowledged', () => {
    const queue = new RedeliveringMessageQueue()
    fill(queue)
    const all = queue.takeFromQueue({ connectionId: 'a' })
    queue.removeMessages({ connectionId: 'a', messageIds: all.map(({ id }) => id) })
    expect(queue.getAvailableMessageCount({ connectionId: 'a' })).toBe(0)
    expect(queue.getAvailableMessageCount({ connectionId: 'a', recipientDid: 'did:key:x' })).toBe(0)
    expect(queue.size).toBe(1)
  })
})
