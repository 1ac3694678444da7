import { AcknowledgementBatch } from '../AcknowledgementBatch'

/** One mediator's acknowledgements: gathered into batches, written one batch at a time, in order. */
describe('AcknowledgementBatch', () => {
  afterEach(() => jest.useRealTimers())

  it('gathers acknowledgements that come close together into one write', async () => {
    jest.useFakeTimers()
    const written: string[][] = []
    const batch = new AcknowledgementBatch(async (ids) => written.push(ids))
    batch.add('m1')
    batch.add('m2')
    expect(written).toEqual([])
    await jest.runAllTimersAsync()
    expect(written).toEqual([['m1', 'm2']])
  })

  it('writes a full batch of 100 at once, without waiting for company', async () => {
    const written: string[][] = []
    const batch = new AcknowledgementBatch(async (ids) => written.push(ids))
    for (let index = 0; index < 100; index++) batch.add(`m${index}`)
    await batch.flush()
    expect(written.map((ids) => ids.length)).toEqual([100])
  })

  it('writes one batch at a time, in order, and flush waits for every batch before it', async () => {
    const order: string[] = []
    let release!: () => void
    const firstWrite = new Promise<void>((resolve) => {
      release = resolve
    })
    const batch = new AcknowledgementBatch(async (ids) => {
      order.push(`start ${ids.join()}`)
      if (ids[0] === 'm1') await firstWrite
      order.push(`end ${ids.join()}`)
    })
    batch.add('m1')
    const first = batch.flush()
    batch.add('m2')
    const second = batch.flush()
    await Promise.resolve()
    expect(order).toEqual(['start m1'])
    release()
    await second
    await first
    expect(order).toEqual(['start m1', 'end m1', 'start m2', 'end m2'])
  })

  it('writes nothing when nothing is pending', async () => {
    const write = jest.fn(async () => undefined)
    await new AcknowledgementBatch(write).flush()
    expect(write).not.toHaveBeenCalled()
  })
})
