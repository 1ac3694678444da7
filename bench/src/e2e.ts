import { until } from '@proxy-mediator/topology'
import {
  type EdgeAgent,
  connectTo,
  createMediatedInvitationUrl,
  freePort,
  startEdgeAgent,
  useProxyAsMediator,
} from '@proxy-mediator/topology'
import { nowMs, progress } from './clock'
import type { RelaySetup } from './setup'
import { rate, ratio } from './stats'

export interface PathResult {
  path: string
  messages: number
  elapsedMs: number
  msgPerSec: number
}

export interface EndToEndResult {
  messagesPerPath: number
  senderConcurrency: number
  rounds: number
  viaProxy: PathResult
  direct: PathResult
  ratio: number
}

async function sendAndMeasure(
  sender: EdgeAgent,
  connectionId: string,
  receiver: EdgeAgent,
  prefix: string,
  count: number,
  concurrency: number,
): Promise<{ elapsedMs: number; received: number }> {
  const received = () => new Set(receiver.received.filter((content) => content.startsWith(`${prefix}-`))).size
  let next = 0
  const started = nowMs()
  const worker = async () => {
    while (next < count) {
      const index = next++
      await sender.agent.basicMessages.sendMessage(connectionId, `${prefix}-${index}`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  await until(() => received() >= count, 120_000, `${count} basic messages (${prefix})`, 10)
  return { elapsedMs: nowMs() - started, received: received() }
}

/**
 * End to end, against the same sender and the same Credo external mediator:
 * A. sender → mediator → proxy → agent (QueueAndLiveModeDelivery, proxy picks up live);
 * B. sender → mediator → agent (DirectDelivery: the mediator POSTs to the agent's endpoint).
 * The agents are the same kind (HTTP-only Credo edge agents). The mediator's forwarding
 * strategy is switched between the phases; A and B alternate over `rounds` rounds.
 */
export async function runEndToEnd(options: {
  setup: RelaySetup
  messages: number
  concurrency: number
  rounds: number
}): Promise<EndToEndResult> {
  const { setup, messages, concurrency, rounds } = options
  const agentViaProxy = await startEdgeAgent({ port: await freePort(), label: 'e2e-agent-via-proxy' })
  const agentDirect = await startEdgeAgent({ port: await freePort(), label: 'e2e-agent-direct' })
  const sender = await startEdgeAgent({ port: await freePort(), label: 'e2e-sender' })
  try {
    setup.setForwarding('QueueAndLiveModeDelivery')
    await useProxyAsMediator(agentViaProxy.agent, await setup.proxy.agentInvitationUrl())
    const viaProxy = await connectTo(sender.agent, await createMediatedInvitationUrl(agentViaProxy.agent))
    setup.setForwarding('DirectDelivery')
    await useProxyAsMediator(agentDirect.agent, await setup.mediator.createInvitationUrl())
    const direct = await connectTo(sender.agent, await createMediatedInvitationUrl(agentDirect.agent))
    progress('e2e: sender connected to both agents')

    const totals = { viaProxy: 0, direct: 0 }
    const warmup = Math.min(50, messages)
    for (const [phase, index] of [['warmup', 0]] as const) {
      setup.setForwarding('QueueAndLiveModeDelivery')
      await sendAndMeasure(sender, viaProxy.id, agentViaProxy, `${phase}-a${index}`, warmup, concurrency)
      setup.setForwarding('DirectDelivery')
      await sendAndMeasure(sender, direct.id, agentDirect, `${phase}-b${index}`, warmup, concurrency)
    }
    for (let round = 0; round < rounds; round++) {
      setup.setForwarding('QueueAndLiveModeDelivery')
      const a = await sendAndMeasure(sender, viaProxy.id, agentViaProxy, `a${round}`, messages, concurrency)
      totals.viaProxy += a.elapsedMs
      progress(`e2e round ${round + 1}: via proxy ${rate(messages, a.elapsedMs).toFixed(0)} msg/s`)
      setup.setForwarding('DirectDelivery')
      const b = await sendAndMeasure(sender, direct.id, agentDirect, `b${round}`, messages, concurrency)
      totals.direct += b.elapsedMs
      progress(`e2e round ${round + 1}: direct ${rate(messages, b.elapsedMs).toFixed(0)} msg/s`)
    }
    const total = messages * rounds
    const viaProxyResult: PathResult = {
      path: 'sender → mediator → proxy → agent',
      messages: total,
      elapsedMs: totals.viaProxy,
      msgPerSec: rate(total, totals.viaProxy),
    }
    const directResult: PathResult = {
      path: 'sender → mediator → agent',
      messages: total,
      elapsedMs: totals.direct,
      msgPerSec: rate(total, totals.direct),
    }
    return {
      messagesPerPath: total,
      senderConcurrency: concurrency,
      rounds,
      viaProxy: viaProxyResult,
      direct: directResult,
      ratio: ratio(viaProxyResult.msgPerSec, directResult.msgPerSec),
    }
  } finally {
    setup.setForwarding('QueueAndLiveModeDelivery')
    for (const role of [sender, agentViaProxy, agentDirect]) await role.stop().catch(() => undefined)
  }
}
