import { AgentEventTypes, type AgentMessageProcessedEvent, type AgentMessageSentEvent } from '@credo-ts/core'
import { until } from '@proxy-mediator/topology'
import { nowMs, progress, sleep } from './clock'
import type { Envelope } from './envelope'
import { cpuMsOfPid } from './proxy'
import type { RelaySetup } from './setup'
import { type LatencySummary, rate, summarize } from './stats'

/**
 * The driver plays the external mediator's pickup side: a real Credo mediator whose queue holds
 * the forwards for the proxy, pushing pickup 2.0 `delivery` messages over the proxy's live-mode
 * websocket with Credo's own `deliverMessagesFromQueue` (what QueueAndLiveModeDelivery does for
 * each incoming forward). The proxy's own delivery-requests (sent on every status that follows
 * an acknowledgement) are served too, as a mediator would.
 */
async function deliverFromQueue(
  setup: RelaySetup,
  recipient: PickupRecipient,
  sessionId: string,
  batch = CREDO_LIVE_BATCH,
): Promise<void> {
  const pickup = setup.mediator.agent.messagePickup
  if (batch === CREDO_LIVE_BATCH) {
    await pickup.deliverMessagesFromQueue({ pickupSessionId: sessionId, recipientDid: recipient.recipientDid })
    return
  }
  const messages = setup.queue.takeFromQueue({
    connectionId: recipient.connectionId,
    recipientDid: recipient.recipientDid,
    limit: batch,
  })
  if (messages.length) await pickup.deliverMessages({ pickupSessionId: sessionId, messages })
}

/** Credo's mediator puts at most 10 messages in a live-mode delivery (a constant in V2MessagePickupProtocol). */
export const CREDO_LIVE_BATCH = 10

/**
 * Whom the driver's mediator delivers to: the proxy, or the pickup floor (`pickupFloor.ts`), each
 * in its own process, on its own connection, with its own live pickup session.
 */
export interface PickupRecipient {
  connectionId: string
  /** The did:key the queued forwards are for. */
  recipientDid: string
  pid: number
  /** Resident set size of the recipient's process, in bytes. */
  rss(): number
  pickupSessionId(): Promise<string>
}

export function proxyAsRecipient(setup: RelaySetup): PickupRecipient {
  return {
    connectionId: setup.proxyConnectionId,
    recipientDid: setup.proxyRoutingDidKey,
    pid: setup.proxy.pid,
    rss: () => setup.proxy.rss(),
    pickupSessionId: () => setup.pickupSessionId(),
  }
}

function enqueue(setup: RelaySetup, recipient: PickupRecipient, payload: Envelope): string {
  return setup.queue.addMessage({
    connectionId: recipient.connectionId,
    recipientDids: [recipient.recipientDid],
    payload,
  })
}

/**
 * Pushes deliveries as fast as the mediator can pack them while fewer than `window` messages are
 * handed out and unacknowledged; waits for acknowledgements otherwise.
 */
async function pushUntil(
  setup: RelaySetup,
  recipient: PickupRecipient,
  sessionId: string,
  window: number,
  batch: number,
  done: () => boolean,
  feed?: () => void,
) {
  const { queue } = setup
  let wake: (() => void) | undefined
  queue.onAcknowledge = () => wake?.()
  try {
    while (!done()) {
      feed?.()
      if (queue.inFlight < window && queue.size > queue.inFlight) {
        await deliverFromQueue(setup, recipient, sessionId, batch)
        continue
      }
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, 20)
      })
      wake = undefined
    }
  } finally {
    queue.onAcknowledge = undefined
  }
}

async function waitForSink(setup: RelaySetup, expected: number, timeoutMs: number, what: string) {
  let lastReport = Date.now()
  await until(
    async () => {
      const count = await setup.sink.count()
      if (Date.now() - lastReport > 5000) {
        progress(`  ${what}: ${count.unique}/${expected} at the sink`)
        lastReport = Date.now()
      }
      return count.unique >= expected
    },
    timeoutMs,
    `${expected} ${what} at the sink`,
    25,
  )
}

async function waitForAcks(setup: RelaySetup) {
  await until(() => setup.queue.size === 0, 30_000, 'the proxy to acknowledge everything').catch((error) =>
    progress(`warning: ${(error as Error).message} (${setup.queue.size} left)`),
  )
}

/** Counts the pickup protocol messages the mediator receives and sends, by type, while a run lasts. */
function countProtocolMessages(setup: RelaySetup) {
  const counts: Record<string, number> = {}
  const bump = (direction: string, type: string) => {
    const key = `${direction} ${type.replace(/^https:\/\/didcomm\.org\//, '')}`
    counts[key] = (counts[key] ?? 0) + 1
  }
  const events = setup.mediator.agent.events
  const onProcessed = (event: AgentMessageProcessedEvent) => bump('in', event.payload.message.type)
  const onSent = (event: AgentMessageSentEvent) => bump('out', event.payload.message.message.type)
  events.on<AgentMessageProcessedEvent>(AgentEventTypes.AgentMessageProcessed, onProcessed)
  events.on<AgentMessageSentEvent>(AgentEventTypes.AgentMessageSent, onSent)
  return {
    counts,
    stop() {
      events.off<AgentMessageProcessedEvent>(AgentEventTypes.AgentMessageProcessed, onProcessed)
      events.off<AgentMessageSentEvent>(AgentEventTypes.AgentMessageSent, onSent)
    },
  }
}

export interface ThroughputResult {
  mode: 'push' | 'pull'
  /** Messages per pushed delivery. */
  batch: number
  messages: number
  elapsedMs: number
  msgPerSec: number
  duplicates: number
  rssBeforeBytes: number
  rssAfterBytes: number
  /**
   * CPU milliseconds per relayed message, in the relay's process (the runner, or the pickup floor)
   * and in the bench's (mediator + driver).
   */
  relayCpuMsPerMessage: number
  driverCpuMsPerMessage: number
  sinkCpuMsPerMessage: number
  /** Pickup protocol messages the mediator received (in) and sent (out) during the run, by type. */
  protocolMessages: Record<string, number>
  /** The most messages the mediator had handed out and not yet seen acknowledged, sampled every 5 ms. */
  maxHandedOut: number
  /** The measured span on the monotonic clock, to cut the proxy's CPU profile to it. */
  window: { fromMs: number; toMs: number }
}

/**
 * Relay throughput: the queue is pre-filled with every forward, then delivery starts; timed from
 * the first delivery to the sink's last arrival. `pull` only kicks off one delivery and lets the
 * pickup protocol (status, delivery-request, delivery, messages-received) run by itself.
 */
export async function runThroughput(options: {
  setup: RelaySetup
  forwards: Envelope[]
  runTag: number
  mode: 'push' | 'pull'
  window: number
  batch: number
  /** @default the proxy */
  recipient?: PickupRecipient
}): Promise<ThroughputResult> {
  const { setup, forwards } = options
  const recipient = options.recipient ?? proxyAsRecipient(setup)
  await setup.sink.reset(options.runTag)
  const sessionId = await recipient.pickupSessionId()
  for (const forward of forwards) enqueue(setup, recipient, forward)
  const rssBeforeBytes = recipient.rss()
  const ackedBefore = setup.queue.acknowledged
  const protocol = countProtocolMessages(setup)
  const relayCpuBefore = cpuMsOfPid(recipient.pid)
  const driverCpuBefore = cpuMsOfPid(process.pid)
  const sinkCpuBefore = cpuMsOfPid(setup.sink.pid)
  const started = nowMs()
  let maxHandedOut = 0
  const sampler = setInterval(() => {
    maxHandedOut = Math.max(maxHandedOut, setup.queue.inFlight)
  }, 5).unref()
  const pushing =
    options.mode === 'push'
      ? pushUntil(
          setup,
          recipient,
          sessionId,
          options.window,
          options.batch,
          () => setup.queue.acknowledged - ackedBefore >= forwards.length,
        )
      : deliverFromQueue(setup, recipient, sessionId)
  await waitForSink(setup, forwards.length, 60_000 + forwards.length * 20, `relayed (${options.mode})`)
  const count = await setup.sink.count()
  await waitForAcks(setup)
  await pushing
  clearInterval(sampler)
  protocol.stop()
  const relayCpuMs = cpuMsOfPid(recipient.pid) - relayCpuBefore
  const driverCpuMs = cpuMsOfPid(process.pid) - driverCpuBefore
  const sinkCpuMs = cpuMsOfPid(setup.sink.pid) - sinkCpuBefore
  const elapsedMs = count.lastAt - started
  return {
    mode: options.mode,
    batch: options.batch,
    messages: count.unique,
    elapsedMs,
    msgPerSec: rate(count.unique, elapsedMs),
    duplicates: count.duplicates,
    rssBeforeBytes,
    rssAfterBytes: recipient.rss(),
    relayCpuMsPerMessage: relayCpuMs / forwards.length,
    driverCpuMsPerMessage: driverCpuMs / forwards.length,
    sinkCpuMsPerMessage: sinkCpuMs / forwards.length,
    protocolMessages: protocol.counts,
    maxHandedOut,
    window: { fromMs: started, toMs: count.lastAt },
  }
}

export interface OfferedLoadResult {
  offeredPerSec: number
  achievedOfferedPerSec: number
  messages: number
  duplicates: number
  /** Sink arrival minus the moment the mediator had written the delivery to the proxy's websocket. */
  fromDelivery: LatencySummary
  /** Sink arrival minus the moment the driver handed the forward to the mediator (queue + pack + send included). */
  fromHandoff: LatencySummary
  /** CPU milliseconds per message in the proxy's process. */
  proxyCpuMsPerMessage: number
  window: { fromMs: number; toMs: number }
}

/**
 * Latency at a fixed offered load: forwards arrive at the mediator at `perSec`, and each is
 * pushed to the proxy at once in its own live-mode delivery, as QueueAndLiveModeDelivery does.
 */
export async function runOfferedLoad(options: {
  setup: RelaySetup
  forwards: Envelope[]
  runTag: number
  perSec: number
}): Promise<OfferedLoadResult> {
  const { setup, forwards, perSec } = options
  const total = forwards.length
  await setup.sink.reset(options.runTag)
  const proxy = proxyAsRecipient(setup)
  const sessionId = await proxy.pickupSessionId()
  const seqOfQueueId = new Map<string, number>()
  const handoffAt = new Float64Array(total).fill(Number.NaN)
  const takenAt = new Float64Array(total).fill(Number.NaN)
  const deliveredAt = new Float64Array(total).fill(Number.NaN)
  let taken: number[] = []
  setup.queue.onTake = (ids) => {
    const at = nowMs()
    for (const id of ids) {
      const seq = seqOfQueueId.get(id)
      if (seq === undefined) continue
      takenAt[seq] = at
      taken.push(seq)
    }
  }
  const intervalMs = 1000 / perSec
  const proxyCpuBefore = cpuMsOfPid(setup.proxy.pid)
  const start = nowMs() + 10
  let next = 0
  try {
    while (next < total) {
      const due = Math.min(total, Math.floor((nowMs() - start) / intervalMs) + 1)
      if (next < due) {
        for (; next < due; next++) {
          handoffAt[next] = nowMs()
          seqOfQueueId.set(enqueue(setup, proxy, forwards[next]), next)
        }
        await deliverFromQueue(setup, proxy, sessionId)
        const at = nowMs()
        for (const seq of taken) deliveredAt[seq] = at
        taken = []
        continue
      }
      const waitMs = start + next * intervalMs - nowMs()
      if (waitMs > 1) await sleep(waitMs - 1)
      else await new Promise((resolve) => setImmediate(resolve))
    }
  } finally {
    setup.queue.onTake = undefined
  }
  const lastHandoff = handoffAt[total - 1]
  await waitForSink(setup, total, 120_000, 'relayed at offered load')
  const arrivals = await setup.sink.arrivals()
  const count = await setup.sink.count()
  const proxyCpuMs = cpuMsOfPid(setup.proxy.pid) - proxyCpuBefore
  await waitForAcks(setup)
  const fromDelivery: number[] = []
  const fromHandoff: number[] = []
  for (const [seq, arrivedAt] of arrivals) {
    const delivered = Number.isNaN(deliveredAt[seq]) ? takenAt[seq] : deliveredAt[seq]
    fromDelivery.push(arrivedAt - delivered)
    fromHandoff.push(arrivedAt - handoffAt[seq])
  }
  return {
    offeredPerSec: perSec,
    achievedOfferedPerSec: rate(total - 1, lastHandoff - handoffAt[0]),
    messages: count.unique,
    duplicates: count.duplicates,
    fromDelivery: summarize(fromDelivery),
    fromHandoff: summarize(fromHandoff),
    proxyCpuMsPerMessage: proxyCpuMs / total,
    window: { fromMs: start, toMs: count.lastAt },
  }
}

export interface SoakSample {
  messages: number
  elapsedS: number
  rssMB: number
  /** V8 heap in use at that moment (garbage included), from the runner's inspector. */
  heapUsedMB?: number
  /** V8 heap in use after the runner's last own major GC (what was live then), and how many it made. */
  heapAfterMajorGcMB?: number
  majorGcs?: number
  /** V8 heap in use right after a forced full GC (what is live): at idle and at the end only. */
  heapAfterGcMB?: number
}

export interface SoakResult {
  messages: number
  elapsedMs: number
  msgPerSec: number
  /** The offered rate: forwards are queued at the mediator at most this fast. */
  offeredPerSec: number
  warmupMessages: number
  sampleEvery: number
  gcEvery: number
  /** RSS of the set-up runner before the soak: idle, everything loaded. */
  idleRssMB: number
  samples: SoakSample[]
  /** Largest deviation of RSS after warm-up from its median. */
  maxDeviationAfterWarmup: number
  /** Peak RSS over the whole soak divided by the idle RSS. */
  peakToIdle: number
  /** Median RSS after warm-up, and its least-squares trend in MB per 10,000 messages. */
  rssMedianAfterWarmupMB: number
  rssTrendMBPer10k: number
  /** Least-squares trend of the heap after the runner's major GCs after warm-up, MB per 10,000 messages: a leak shows here. */
  heapAfterGcTrendMBPer10k?: number
  flat: boolean
}

/**
 * Many messages through the proxy at a steady offered rate, from a pool of forwards used over
 * and over. RSS is sampled every `sampleEvery` messages; through the runner's inspector when it
 * has one, the V8 heap in use and the heap after the runner's own last major GC too. A full GC
 * is forced only at idle and at the end, each after the RSS sample: forced every few thousand
 * messages, it released memory each time and flattened the very RSS curve being measured.
 */
export async function runSoak(options: {
  setup: RelaySetup
  pool: Envelope[]
  runTag: number
  total: number
  perSec: number
  window: number
  batch: number
  sampleEvery: number
  gcEvery: number
  warmupMessages: number
}): Promise<
  Omit<
    SoakResult,
    | 'maxDeviationAfterWarmup'
    | 'flat'
    | 'rssMedianAfterWarmupMB'
    | 'rssTrendMBPer10k'
    | 'peakToIdle'
    | 'heapAfterGcTrendMBPer10k'
  >
> {
  const { setup, pool, total } = options
  const { inspector } = setup.proxy
  await setup.sink.reset(options.runTag)
  const proxy = proxyAsRecipient(setup)
  const sessionId = await proxy.pickupSessionId()
  const ackedBefore = setup.queue.acknowledged
  const heap = async (forceGc: boolean): Promise<Partial<SoakSample>> => {
    if (!inspector) return {}
    const { usedSize } = await inspector.send<{ usedSize: number }>('Runtime.getHeapUsage')
    const { majorGcs, heapAfterMajorGcBytes } = await inspector.lastMajorGc()
    // NaN (no major GC yet) comes back from the inspector as null.
    const afterMajor = typeof heapAfterMajorGcBytes === 'number' ? heapAfterMajorGcBytes / 2 ** 20 : undefined
    const sample = { heapUsedMB: usedSize / 2 ** 20, heapAfterMajorGcMB: afterMajor, majorGcs }
    if (!forceGc) return sample
    return { ...sample, heapAfterGcMB: (await inspector.heapUsedAfterGc()).usedBytes / 2 ** 20 }
  }
  await inspector?.watchMajorGcs()
  const idleRssMB = setup.proxy.rss() / 2 ** 20
  const samples: SoakSample[] = [{ messages: 0, elapsedS: 0, rssMB: idleRssMB, ...(await heap(true)) }]
  const started = nowMs()
  let added = 0
  let nextSample = options.sampleEvery
  let sampling: Promise<void> | undefined
  const acked = () => setup.queue.acknowledged - ackedBefore
  const sample = async (messages: number) => {
    const rssMB = setup.proxy.rss() / 2 ** 20
    const at = { messages, elapsedS: (nowMs() - started) / 1000, rssMB }
    const last = { ...at, ...(await heap(false)) }
    samples.push(last)
    if (messages % options.gcEvery === 0) {
      progress(
        `  soak: ${messages}/${total}, proxy RSS ${rssMB.toFixed(1)} MB, heap ${last.heapUsedMB?.toFixed(1) ?? '?'} MB, after the last major GC ${last.heapAfterMajorGcMB?.toFixed(1) ?? '?'} MB (${last.majorGcs ?? '?'} so far)`,
      )
    }
  }
  const feed = () => {
    const due = Math.min(total, Math.floor(((nowMs() - started) * options.perSec) / 1000))
    while (added < due && setup.queue.size < 4 * options.window) enqueue(setup, proxy, pool[added++ % pool.length])
    if (!sampling && acked() >= nextSample) {
      const messages = nextSample
      nextSample += options.sampleEvery
      sampling = sample(messages).finally(() => {
        sampling = undefined
      })
    }
  }
  await pushUntil(setup, proxy, sessionId, options.window, options.batch, () => acked() >= total, feed)
  const elapsedMs = nowMs() - started
  await sampling
  samples.push({
    messages: acked(),
    elapsedS: elapsedMs / 1000,
    rssMB: setup.proxy.rss() / 2 ** 20,
    ...(await heap(true)),
  })
  return {
    messages: acked(),
    elapsedMs,
    msgPerSec: rate(acked(), elapsedMs),
    offeredPerSec: options.perSec,
    warmupMessages: options.warmupMessages,
    sampleEvery: options.sampleEvery,
    gcEvery: options.gcEvery,
    idleRssMB,
    samples,
  }
}
