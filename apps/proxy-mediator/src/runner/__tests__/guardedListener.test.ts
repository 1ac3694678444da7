import { EventEmitter } from 'node:events'
import { guardedListener } from '../guardedListener'

describe('guardedListener', () => {
  it('keeps what a listener throws from the emitter and from the listeners after it', () => {
    const emitter = new EventEmitter()
    const heard: number[] = []
    emitter.on(
      'relayed',
      guardedListener<number>(() => {
        throw new Error('the histogram is broken')
      }),
    )
    emitter.on('relayed', (value: number) => heard.push(value))
    expect(() => emitter.emit('relayed', 7)).not.toThrow()
    expect(heard).toEqual([7])
  })

  it('passes the event on unchanged', () => {
    const heard: string[] = []
    guardedListener<string>((event) => heard.push(event))('state changed')
    expect(heard).toEqual(['state changed'])
  })
})
