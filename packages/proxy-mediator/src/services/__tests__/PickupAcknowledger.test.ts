import type { AgentContext, ConnectionService, MessageSender } from '@credo-ts/core'
import { PickupAcknowledger } from '../PickupAcknowledger'

/** The at-least-once ledger of pickup 2.0: which picked-up messages are claimed, and which acknowledged. */
describe('PickupAcknowledger', () => {
  const agentContext = { config: { logger: { warn: jest.fn() } } } as unknown as AgentContext
  let sendMessage: jest.Mock
  let acknowledger: PickupAcknowledger
  let direct: string[][]

  beforeEach(() => {
    sendMessage = jest.fn().mockResolvedValue(undefined)
    acknowledger = new PickupAcknowledger(
      { sendMessage } as unknown as MessageSender,
      { getById: jest.fn().mockResolvedValue({ id: 'mediator-connection' }) } as unknown as ConnectionService,
    )
    direct = []
    acknowledger.useDirectChannel(async (ids) => {
      direct.push(ids)
      return true
    })
  })

  it('lets one copy of a message be handled at a time, and another once it is released', () => {
    expect(acknowledger.claim('m1')).toBe(true)
    expect(acknowledger.claim('m1')).toBe(false)
    acknowledger.release('m1')
    expect(acknowledger.claim('m1')).toBe(true)
  })

  it('acknowledges nothing that was not acknowledged, and batches what was', async () => {
    acknowledger.claim('m1')
    acknowledger.claim('m2')
    await acknowledger.flush()
    expect(direct).toEqual([])

    acknowledger.acknowledge(agentContext, 'mediator-connection', 'm1')
    acknowledger.acknowledge(agentContext, 'mediator-connection', 'm3')
    expect(acknowledger.wasAcknowledged('m1')).toBe(true)
    expect(acknowledger.wasAcknowledged('m2')).toBe(false)
    await acknowledger.flush()
    expect(direct).toEqual([['m1', 'm3']])
  })

  it("falls back to Credo's message sender when the direct channel cannot write", async () => {
    acknowledger.useDirectChannel(async () => false)
    acknowledger.acknowledge(agentContext, 'mediator-connection', 'm1')
    await acknowledger.flush()
    expect(sendMessage).toHaveBeenCalledTimes(1)
    const [outbound] = sendMessage.mock.calls[0]
    expect(outbound.message.messageIdList).toEqual(['m1'])
  })

  it('keeps going when an acknowledgement cannot be sent: the mediator offers the message again', async () => {
    acknowledger.useDirectChannel(undefined)
    sendMessage.mockRejectedValueOnce(new Error('socket gone'))
    acknowledger.acknowledge(agentContext, 'mediator-connection', 'm1')
    await expect(acknowledger.flush()).resolves.toBeUndefined()
    acknowledger.acknowledge(agentContext, 'mediator-connection', 'm2')
    await acknowledger.flush()
    expect(sendMessage).toHaveBeenCalledTimes(2)
  })
})
