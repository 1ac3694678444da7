import { KeylistUpdateAction } from '@credo-ts/core'
import { KeylistUpdateRefusedError } from '../../../errors/KeylistUpdateRefusedError'
import { type KeylistChange, KeylistMirror, type KeylistMirrorTarget } from '../KeylistMirror'

const add = (key: string): KeylistChange => ({ key, action: KeylistUpdateAction.add })
const remove = (key: string): KeylistChange => ({ key, action: KeylistUpdateAction.remove })

/** A mediator that records what it took, and fails while `down` is set. */
function mediator(id: string) {
  const took: KeylistChange[][] = []
  const target = {
    id,
    down: false,
    took,
    pendingKeylist: new Map<string, KeylistUpdateAction>(),
    updateKeylist: jest.fn(async (changes: KeylistChange[]) => {
      if (target.down) throw new Error(`${id} is down`)
      took.push(changes)
    }),
  }
  return target
}

/** What the mirror keeps for a mediator to send again. */
const pendingOf = (target: KeylistMirrorTarget): KeylistChange[] =>
  [...target.pendingKeylist].map(([key, action]) => ({ key, action }))

describe('KeylistMirror', () => {
  it('sends the changes to every mediator once, and keeps nothing when all took them', async () => {
    const failures: string[] = []
    const mirror = new KeylistMirror((target) => failures.push(target.id))
    const [a, b] = [mediator('a'), mediator('b')]
    await expect(mirror.mirror([a, b], [add('K1'), remove('K2')])).resolves.toEqual([])
    expect(a.took).toEqual([[add('K1'), remove('K2')]])
    expect(b.took).toEqual([[add('K1'), remove('K2')]])
    expect(pendingOf(a)).toEqual([])
    await expect(mirror.retry(a)).resolves.toBe(true)
    expect(a.updateKeylist).toHaveBeenCalledTimes(1)
    expect(failures).toEqual([])
  })

  it('keeps what a mediator that is down did not take, without holding up the others', async () => {
    const failures: string[] = []
    const mirror = new KeylistMirror((target, error) => failures.push(`${target.id}: ${error.message}`))
    const [a, b] = [mediator('a'), mediator('b')]
    a.down = true
    await expect(mirror.mirror([a, b], [add('K1')])).resolves.toEqual(['a'])
    expect(b.took).toEqual([[add('K1')]])
    expect(pendingOf(a)).toEqual([add('K1')])
    expect(pendingOf(b)).toEqual([])
    expect(failures).toEqual(['a: a is down'])
  })

  it('does not ask again a mediator that answered and refused, and says so', async () => {
    const failures: Array<{ id: string; sentAgain: boolean }> = []
    const mirror = new KeylistMirror((target, _error, sentAgain) => failures.push({ id: target.id, sentAgain }))
    const refusing: KeylistMirrorTarget = {
      id: 'a',
      pendingKeylist: new Map(),
      updateKeylist: jest.fn(async () =>
        Promise.reject(new KeylistUpdateRefusedError("the mediator answered 'client_error'")),
      ),
    }
    await expect(mirror.mirror([refusing], [add('K1')])).resolves.toEqual(['a'])
    expect(pendingOf(refusing)).toEqual([])
    await mirror.retry(refusing)
    expect(refusing.updateKeylist).toHaveBeenCalledTimes(1)
    expect(failures).toEqual([{ id: 'a', sentAgain: false }])
  })

  it('sends the pending changes again when the mediator is back, then forgets them', async () => {
    const mirror = new KeylistMirror(() => {})
    const a = mediator('a')
    a.down = true
    await mirror.mirror([a], [add('K1')])
    await expect(mirror.retry(a)).resolves.toBe(false)
    expect(pendingOf(a)).toEqual([add('K1')])
    a.down = false
    await expect(mirror.retry(a)).resolves.toBe(true)
    expect(a.took).toEqual([[add('K1')]])
    expect(pendingOf(a)).toEqual([])
    await mirror.retry(a)
    expect(a.took).toHaveLength(1)
  })

  it('puts pending changes first, in one batch with the next ones, the last action of a key winning', async () => {
    const mirror = new KeylistMirror(() => {})
    const a = mediator('a')
    a.down = true
    await mirror.mirror([a], [add('K1'), add('K2')])
    a.down = false
    await mirror.mirror([a], [remove('K1'), add('K3')])
    expect(a.took).toEqual([[remove('K1'), add('K2'), add('K3')]])
  })

  it('lets a change made while a send is failing win over the batch that failed', async () => {
    const mirror = new KeylistMirror(() => {})
    let fail!: (error: Error) => void
    let calls = 0
    // The same mediator: its first send hangs, its second fails at once.
    const a: KeylistMirrorTarget = {
      id: 'a',
      pendingKeylist: new Map(),
      updateKeylist: () =>
        ++calls === 1
          ? new Promise<void>((_, reject) => {
              fail = reject
            })
          : Promise.reject(new Error('down')),
    }
    const first = mirror.mirror([a], [add('K1')])
    // Meanwhile the agent removes the key again, and that send fails at once.
    await mirror.mirror([a], [remove('K1')])
    fail(new Error('timed out'))
    await first
    expect(pendingOf(a)).toEqual([remove('K1')])
  })

  it('a failure listener that throws changes nothing', async () => {
    const mirror = new KeylistMirror(() => {
      throw new Error('logger broke')
    })
    const a = mediator('a')
    a.down = true
    await expect(mirror.mirror([a], [add('K1')])).resolves.toEqual(['a'])
    expect(pendingOf(a)).toEqual([add('K1')])
    a.down = false
    await expect(mirror.retry(a)).resolves.toBe(true)
    expect(a.took).toEqual([[add('K1')]])
  })
})
