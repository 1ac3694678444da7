import { EventEmitter } from 'node:events'
import { RunnerLogger } from '../../logging/RunnerLogger'
import { installSignalHandlers } from '../installSignalHandlers'

function setup(stop: () => Promise<void>, timeoutMs = 60_000) {
  const emitter = new EventEmitter()
  const exits: number[] = []
  const logger = new RunnerLogger({ level: 'off', format: 'json' })
  installSignalHandlers({
    stop,
    logger,
    timeoutMs,
    exit: (code) => exits.push(code),
    processLike: emitter as unknown as NodeJS.Process,
  })
  return { emitter, exits }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

describe('installSignalHandlers', () => {
  // The shutdown timer of a stop that never ends must not outlive the test.
  afterEach(() => jest.clearAllTimers())
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }))
  afterAll(() => jest.useRealTimers())

  it.each(['SIGTERM', 'SIGINT'])('stops gracefully on %s and exits 0', async (signal) => {
    const stop = jest.fn().mockResolvedValue(undefined)
    const { emitter, exits } = setup(stop)
    emitter.emit(signal, signal)
    await flush()
    expect(stop).toHaveBeenCalledTimes(1)
    expect(exits).toEqual([0])
  })

  it('forces exit 1 on a second signal', async () => {
    const { emitter, exits } = setup(() => new Promise(() => undefined))
    emitter.emit('SIGTERM', 'SIGTERM')
    emitter.emit('SIGINT', 'SIGINT')
    expect(exits).toEqual([1])
  })

  it('exits 1 when stopping fails', async () => {
    const { emitter, exits } = setup(() => Promise.reject(new Error('wallet busy')))
    emitter.emit('SIGTERM', 'SIGTERM')
    await flush()
    expect(exits).toEqual([1])
  })

  it('exits 1 when the shutdown outlives its timeout', async () => {
    const { emitter, exits } = setup(() => new Promise(() => undefined), 5_000)
    emitter.emit('SIGTERM', 'SIGTERM')
    jest.advanceTimersByTime(4_999)
    expect(exits).toEqual([])
    jest.advanceTimersByTime(1)
    expect(exits).toEqual([1])
  })
})
