import { type AgentContext, MessagePickupModuleConfig } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../../ProxyMediatorModuleConfig'
import type { UpstreamMediator } from '../UpstreamMediator'
import { deliveryRequestFor } from '../deliveryRequestFor'

/** The answer to a mediator's status: asks for what it holds, as far as the batch and the pickup window allow. */
describe('deliveryRequestFor', () => {
  function contextWith(options: { pickupWindow?: number; batch?: number }) {
    return {
      dependencyManager: {
        resolve: (token: unknown) => {
          if (token === MessagePickupModuleConfig) return { maximumBatchSize: options.batch ?? 100 }
          if (token === ProxyMediatorModuleConfig)
            return new ProxyMediatorModuleConfig({ pickupWindow: options.pickupWindow })
          throw new Error(`unexpected token ${String(token)}`)
        },
      },
    } as unknown as AgentContext
  }
  /** The mediator the status came from, with its relays in flight; it notes each status. */
  const mediatorWith = (relaysInFlight: number) =>
    ({ relaysInFlight, noteStatus: jest.fn() }) as unknown as UpstreamMediator & { noteStatus: jest.Mock }
  const context = contextWith({})

  it('asks for what is held, up to the batch size, while the window is empty', () => {
    expect(deliveryRequestFor(context, mediatorWith(0), 40)?.limit).toBe(40)
    expect(deliveryRequestFor(context, mediatorWith(0), 5000)?.limit).toBe(100)
  })

  it('asks only for the room left in the pickup window (200 by default)', () => {
    expect(deliveryRequestFor(context, mediatorWith(130), 5000)?.limit).toBe(70)
    expect(deliveryRequestFor(contextWith({ pickupWindow: 60 }), mediatorWith(50), 5000)?.limit).toBe(10)
  })

  it('asks for nothing while the window is full, or when nothing is held, and still tells the mediator what it holds', () => {
    const full = mediatorWith(200)
    expect(deliveryRequestFor(context, full, 5000)).toBeUndefined()
    expect(deliveryRequestFor(context, mediatorWith(250), 5000)).toBeUndefined()
    const empty = mediatorWith(0)
    expect(deliveryRequestFor(context, empty, 0)).toBeUndefined()
    expect(full.noteStatus).toHaveBeenCalledWith(5000)
    expect(empty.noteStatus).toHaveBeenCalledWith(0)
  })

  it('asks nothing of a connection that is no mediator of the proxy', () => {
    expect(deliveryRequestFor(context, undefined, 30)).toBeUndefined()
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
