import type { DrainResult } from './acapyDrain'
import type { ThroughputResult } from './driver'
import type { FloorResult } from './floor'
import { rate } from './stats'

/**
 * The throughput runs are made in interleaved rounds (floor, pickup floor, relay, the order
 * rotated each round) and each kind's rounds are summed: this machine's speed drifts within
 * seconds (the same floor code measured 2,849 and 5,599 msg/s in runs a minute apart), so runs
 * of one kind made one after the other compared whatever the machine did meanwhile.
 */
export function splitIntoRounds<T>(items: T[], rounds: number): T[][] {
  const size = Math.ceil(items.length / rounds)
  return Array.from({ length: rounds }, (_, round) => items.slice(round * size, (round + 1) * size)).filter(
    (part) => part.length > 0,
  )
}

/** Rotates the kinds so that none always runs first in a round, right after another's tail. */
export function orderOfRound<T>(kinds: readonly T[], round: number): T[] {
  return kinds.map((_, index) => kinds[(round + index) % kinds.length])
}

/** A per-message figure of several runs: each run's weighs by its messages. */
const perMessage = <T extends { messages: number }>(runs: T[], measureOf: (run: T) => number) =>
  runs.reduce((sum, run) => sum + measureOf(run) * run.messages, 0) / runs.reduce((sum, run) => sum + run.messages, 0)

/** One kind's rounds as one run: messages and time summed, per-message CPU weighted by messages. */
export function combineThroughput(runs: ThroughputResult[]): ThroughputResult {
  const [first] = runs
  const last = runs[runs.length - 1]
  const messages = runs.reduce((sum, run) => sum + run.messages, 0)
  const elapsedMs = runs.reduce((sum, run) => sum + run.elapsedMs, 0)
  const protocolMessages: Record<string, number> = {}
  for (const run of runs) {
    for (const [type, count] of Object.entries(run.protocolMessages)) {
      protocolMessages[type] = (protocolMessages[type] ?? 0) + count
    }
  }
  return {
    mode: first.mode,
    batch: first.batch,
    messages,
    elapsedMs,
    msgPerSec: rate(messages, elapsedMs),
    duplicates: runs.reduce((sum, run) => sum + run.duplicates, 0),
    rssBeforeBytes: first.rssBeforeBytes,
    rssAfterBytes: last.rssAfterBytes,
    relayCpuMsPerMessage: perMessage(runs, (run) => run.relayCpuMsPerMessage),
    driverCpuMsPerMessage: perMessage(runs, (run) => run.driverCpuMsPerMessage),
    sinkCpuMsPerMessage: perMessage(runs, (run) => run.sinkCpuMsPerMessage),
    protocolMessages,
    maxHandedOut: Math.max(...runs.map((run) => run.maxHandedOut)),
    window: { fromMs: first.window.fromMs, toMs: last.window.toMs },
  }
}

export function combineFloor(runs: FloorResult[]): FloorResult {
  const messages = runs.reduce((sum, run) => sum + run.messages, 0)
  const elapsedMs = runs.reduce((sum, run) => sum + run.elapsedMs, 0)
  return {
    messages,
    elapsedMs,
    msgPerSec: rate(messages, elapsedMs),
    failures: runs.reduce((sum, run) => sum + run.failures, 0),
    duplicates: runs.reduce((sum, run) => sum + run.duplicates, 0),
    cpuMsPerMessage: perMessage(runs, (run) => run.cpuMsPerMessage),
    sinkCpuMsPerMessage: perMessage(runs, (run) => run.sinkCpuMsPerMessage),
  }
}

/** One kind's drains as one: messages over the time they took, CPU per message weighted by messages. */
export function combineDrains(drains: DrainResult[]): DrainResult {
  const messages = drains.reduce((sum, drain) => sum + drain.messages, 0)
  const seconds = drains.reduce((sum, drain) => sum + drain.messages / drain.msgPerSec, 0)
  return {
    messages,
    msgPerSec: messages / seconds,
    cpuMsPerMessage: perMessage(drains, (drain) => drain.cpuMsPerMessage),
  }
}
