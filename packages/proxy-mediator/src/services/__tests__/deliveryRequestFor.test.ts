import { type AgentContext, EventEmitter, MessagePickupModuleConfig } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { RelayPipeline } from '../RelayPipeline'
import { deliveryRequestFor } from '../deliveryRequestFor'

/** The answer to a mediator's status: asks for what it holds, as far as the batch and the pickup window allow. */
describe('deliveryRequestFor', () => {
  function contextWith(options: { inFlight: number; pickupWindow?: number; batch?: number; emit?: jest.Mock }) {
    const emit = options.emit ?? jest.fn()
    return {
      dependencyManager: {
        resolve: (token: unknown) => {
          if (token === EventEmitter) return { emit }
          if (token === MessagePickupModuleConfig) return { maximumBatchSize: options.batch ?? 100 }
          if (token === ProxyMediatorModuleConfig)
            return new ProxyMediatorModuleConfig({ pickupWindow: options.pickupWindow })
          if (token === RelayPipeline)
            return { relaysInFlightFrom: (id: string) => (id === 'c1' ? options.inFlight : 0) }
          throw new Error(`unexpected token ${String(token)}`)
        },
      },
    } as unknown as AgentContext
  }

  it('asks for what is held, up to the batch size, while the window is empty', () => {
    expect(deliveryRequestFor(contextWith({ inFlight: 0 }), 'c1', 40)?.limit).toBe(40)
    expect(deliveryRequestFor(contextWith({ inFlight: 0 }), 'c1', 5000)?.limit).toBe(100)
  })

  it('asks only for the room left in the pickup window (200 by default)', () => {
    expect(deliveryRequestFor(contextWith({ inFlight: 130 }), 'c1', 5000)?.limit).toBe(70)
    expect(deliveryRequestFor(contextWith({ inFlight: 50, pickupWindow: 60 }), 'c1', 5000)?.limit).toBe(10)
  })

  it('asks for nothing while the window is full, or when nothing is held, and still tells who counts statuses', () => {
    const emit = jest.fn()
    expect(deliveryRequestFor(contextWith({ inFlight: 200, emit }), 'c1', 5000)).toBeUndefined()
    expect(deliveryRequestFor(contextWith({ inFlight: 250, emit }), 'c1', 5000)).toBeUndefined()
    expect(deliveryRequestFor(contextWith({ inFlight: 0, emit }), 'c1', 0)).toBeUndefined()
    expect(emit).toHaveBeenCalledTimes(3)
    expect(emit.mock.calls[0][1]).toEqual({
      type: 'ProxyMediatorUpstreamStatusReceived',
      payload: { connectionId: 'c1', messageCount: 5000 },
    })
  })

  it('counts only the relays of the mediator the status came from', () => {
    expect(deliveryRequestFor(contextWith({ inFlight: 200 }), 'c2', 30)?.limit).toBe(30)
  })

  it('still answers when the event listener throws', () => {
    const emit = jest.fn(() => {
      throw new Error('listener broke')
    })
    expect(deliveryRequestFor(contextWith({ inFlight: 0, emit }), 'c1', 3)?.limit).toBe(3)
  })
})

describe('ProxyMediatorModuleConfig pickupWindow', () => {
  it('refuses a window that could never ask for anything, and takes any whole number of at least 1', () => {
    for (const pickupWindow of [0, -5, 2.5, Number.NaN]) {
      expect(() => new ProxyMediatorModuleConfig({ pickupWindow })).toThrow(/pickupWindow must be a whole number/)
    }
    expect(new ProxyMediatorModuleConfig({ pickupWindow: 1 }).pickupWindow).toBe(1)
    expect(new ProxyMediatorModuleConfig().pickupWindow).toBe(200)
  })
})
