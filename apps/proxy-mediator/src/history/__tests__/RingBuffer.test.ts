import { RingBuffer } from '../RingBuffer'

describe('RingBuffer', () => {
  it('keeps what was pushed, oldest first, until full', () => {
    const buffer = new RingBuffer<number>(3)
    expect(buffer.toArray()).toEqual([])
    expect(buffer.last()).toBeUndefined()
    buffer.push(1)
    buffer.push(2)
    expect(buffer.toArray()).toEqual([1, 2])
    expect(buffer.size).toBe(2)
    expect(buffer.last()).toBe(2)
  })

  it('drops the oldest once full, however many times it goes round', () => {
    const buffer = new RingBuffer<number>(3)
    for (let value = 1; value <= 10; value++) {
      buffer.push(value)
      const expected = Array.from({ length: Math.min(value, 3) }, (_, index) => value - Math.min(value, 3) + 1 + index)
      expect(buffer.toArray()).toEqual(expected)
      expect(buffer.last()).toBe(value)
    }
    expect(buffer.size).toBe(3)
  })

  it('hands out a copy: changing it changes nothing inside', () => {
    const buffer = new RingBuffer<number>(2)
    buffer.push(1)
    const copy = buffer.toArray()
    copy.push(99)
    expect(buffer.toArray()).toEqual([1])
  })

  it('works with a capacity of one, and refuses a capacity that holds nothing', () => {
    const buffer = new RingBuffer<string>(1)
    buffer.push('a')
    buffer.push('b')
    expect(buffer.toArray()).toEqual(['b'])
    expect(() => new RingBuffer(0)).toThrow(RangeError)
    expect(() => new RingBuffer(1.5)).toThrow(RangeError)
  })
})
