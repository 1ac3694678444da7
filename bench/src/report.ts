import type { AcapyDrainReport } from './acapyDrain'
import type { OfferedLoadResult, SoakResult, ThroughputResult } from './driver'
import type { EndToEndResult } from './e2e'
import type { FloorResult } from './floor'
import type { ProfileSummary } from './profile'
import { round } from './stats'

export interface BenchReport {
  date: string
  machine: { cpus: number; cpuModel: string; node: string; platform: string }
  settings: Record<string, unknown>
  proxy: { kind: 'runner' | 'in-process' }
  /** The floor's interleaved rounds, summed (`rounds.ts`). */
  floor?: FloorResult
  /**
   * The same forwards through the pickup floor (`pickupFloorProcess.ts`): the least a relay must do
   * to take them from the same mediator over the same websocket; its interleaved rounds, summed.
   */
  pickupFloor?: ThroughputResult
  ratioToPickupFloor?: number
  /** msg/s of each interleaved round, per kind. */
  rounds?: { floor: number; pickupFloor: number; relay: number }[]
  relay?: ThroughputResult
  relayPull?: ThroughputResult
  /** The same forwards' inner envelopes through a proxy in transparent relay mode (`--relay-mode transparent`). */
  relayTransparent?: ThroughputResult
  transparentRatioToFloor?: number
  /** A backlog drained from an ACA-Py-like external mediator, proxy and implicit floor (`acapyDrain.ts`). */
  acapyDrain?: AcapyDrainReport
  latency?: OfferedLoadResult
  /**
   * The latency run again, last, with the bench process (the driver mediator) at a lower priority
   * than the runner and the sink (`priority.ts`); `driverNiceBefore` is the nice value it had.
   */
  latencyDriverYielding?: OfferedLoadResult
  driverNiceBefore?: number
  ratioToFloor?: number
  endToEnd?: EndToEndResult
  soak?: SoakResult
  profile?: ProfileSummary
  profileLatency?: ProfileSummary
  /** `--profile`: the pickup floor's own CPU profile, cut to its throughput run. */
  profilePickupFloor?: ProfileSummary
  relayCounts?: CountReport
  floorCounts?: CountReport
  targets: Record<string, { goal: string; measured: number; met: boolean }>
}

/** What `--count` measured over a run (see bench.ts `startCounting`). */
export interface CountReport {
  messages: number
  /** Calls per relayed message, per `file:function`. */
  callsPerMessage: Record<string, number>
  /** JS heap bytes allocated per message, collected objects included (sampled estimate). */
  allocatedBytesPerMessage: number
  allocatedTop: { frame: string; bytesPerMessage: number }[]
}

const mb = (bytes: number) => `${round(bytes / 2 ** 20, 1)} MB`
const f = (value: number | undefined, digits = 1) => (value === undefined ? 'n/a' : String(round(value, digits)))

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`
  return [
    line(rows[0]),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n')
}

/** The table for people (markdown, so that it can be pasted into the README). */
export function renderTable(report: BenchReport): string {
  const rows: string[][] = [['Measure', 'Value', 'Target']]
  const spread = (kind: 'floor' | 'pickupFloor' | 'relay') =>
    report.rounds && report.rounds.length > 1
      ? ` (rounds ${f(Math.min(...report.rounds.map((round) => round[kind])), 0)}-${f(Math.max(...report.rounds.map((round) => round[kind])), 0)})`
      : ''
  if (report.relay) {
    rows.push([
      `Relay throughput (${report.relay.messages} forwards, ${report.relay.mode})`,
      `${f(report.relay.msgPerSec, 0)} msg/s${spread('relay')}`,
      '≥ 2000',
    ])
  }
  if (report.relayPull) {
    rows.push(['Relay throughput (pickup protocol only, pull)', `${f(report.relayPull.msgPerSec, 0)} msg/s`, ''])
  }
  if (report.floor) {
    rows.push([
      `Floor: raw unpack + JSON.parse + POST (${report.floor.messages})`,
      `${f(report.floor.msgPerSec, 0)} msg/s${spread('floor')}`,
      '',
    ])
  }
  if (report.ratioToFloor !== undefined) rows.push(['Ratio proxy / floor', f(report.ratioToFloor, 2), '≥ 0.8'])
  if (report.pickupFloor) {
    rows.push([
      `Pickup floor: the same mediator, websocket and pickup 2.0, no Credo (${report.pickupFloor.messages})`,
      `${f(report.pickupFloor.msgPerSec, 0)} msg/s${spread('pickupFloor')}`,
      '',
    ])
    rows.push(['Ratio proxy / pickup floor', f(report.ratioToPickupFloor, 2), '≥ 0.8'])
  }
  if (report.relayTransparent) {
    rows.push([
      `Relay throughput, transparent mode (${report.relayTransparent.messages} envelopes, ${report.relayTransparent.mode})`,
      `${f(report.relayTransparent.msgPerSec, 0)} msg/s`,
      '',
    ])
    rows.push(['Ratio transparent / floor', f(report.transparentRatioToFloor ?? Number.NaN, 2), ''])
  }
  if (report.acapyDrain) {
    const drain = report.acapyDrain
    const perRound = (kind: 'proxy' | 'floor') => drain.rounds.map((round) => f(round[kind].msgPerSec, 0)).join(', ')
    rows.push([
      `ACA-Py-like mediator, a ${drain.backlog}-message backlog drained by implicit pickup: proxy (rounds)`,
      `${f(drain.proxy.msgPerSec, 0)} msg/s (${perRound('proxy')}), CPU ${f(drain.proxy.cpuMsPerMessage, 3)} ms/msg`,
      '',
    ])
    rows.push([
      'Implicit floor: the same mediator and backlog, one return-route ping per message, no Credo',
      `${f(drain.floor.msgPerSec, 0)} msg/s (${perRound('floor')}), CPU ${f(drain.floor.cpuMsPerMessage, 3)} ms/msg`,
      '',
    ])
    rows.push(['Ratio proxy / implicit floor (ACA-Py drain)', f(drain.ratio, 2), '≥ 0.5'])
  }
  if (report.latency) {
    const l = report.latency
    rows.push([
      `Latency added, delivery → sink (${l.messages} at ${f(l.achievedOfferedPerSec, 0)} msg/s) p50 / p95 / p99`,
      `${f(l.fromDelivery.p50, 2)} / ${f(l.fromDelivery.p95, 2)} / ${f(l.fromDelivery.p99, 2)} ms`,
      'p99 ≤ 10',
    ])
    rows.push([
      'Same, from hand-off to the mediator (incl. queue + pack + send)',
      `${f(l.fromHandoff.p50, 2)} / ${f(l.fromHandoff.p95, 2)} / ${f(l.fromHandoff.p99, 2)} ms`,
      '',
    ])
  }
  if (report.latencyDriverYielding) {
    const l = report.latencyDriverYielding
    rows.push([
      `Latency added, the same again with the driver mediator yielding (bench at nice ${report.settings.driverNice}), p50 / p95 / p99`,
      `${f(l.fromDelivery.p50, 2)} / ${f(l.fromDelivery.p95, 2)} / ${f(l.fromDelivery.p99, 2)} ms`,
      'p99 ≤ 10',
    ])
  }
  if (report.relay && report.floor) {
    rows.push([
      'CPU per message, relay run: runner / driver mediator / sink',
      `${f(report.relay.relayCpuMsPerMessage, 3)} / ${f(report.relay.driverCpuMsPerMessage, 3)} / ${f(report.relay.sinkCpuMsPerMessage, 3)} ms`,
      '',
    ])
    if (report.pickupFloor) {
      rows.push([
        'CPU per message, pickup floor run: pickup floor / driver mediator / sink',
        `${f(report.pickupFloor.relayCpuMsPerMessage, 3)} / ${f(report.pickupFloor.driverCpuMsPerMessage, 3)} / ${f(report.pickupFloor.sinkCpuMsPerMessage, 3)} ms`,
        '',
      ])
    }
    rows.push([
      'CPU per message, floor run: floor / sink',
      `${f(report.floor.cpuMsPerMessage, 3)} / ${f(report.floor.sinkCpuMsPerMessage, 3)} ms`,
      '',
    ])
  }
  if (report.relay) {
    rows.push([
      'Proxy RSS before / after the relay rounds',
      `${mb(report.relay.rssBeforeBytes)} / ${mb(report.relay.rssAfterBytes)}`,
      '',
    ])
    rows.push([
      `Most messages handed out by the mediator and unacknowledged at once, relay run (proxy's pickup window ${report.settings.pickupWindow ?? 200})`,
      `${report.relay.maxHandedOut}`,
      '',
    ])
  }
  if (report.endToEnd) {
    const e = report.endToEnd
    rows.push([`E2E ${e.viaProxy.path} (${e.messagesPerPath})`, `${f(e.viaProxy.msgPerSec, 0)} msg/s`, ''])
    rows.push([`E2E ${e.direct.path} (${e.messagesPerPath})`, `${f(e.direct.msgPerSec, 0)} msg/s`, ''])
    rows.push(['E2E ratio via proxy / direct', f(e.ratio, 2), '≥ 0.9'])
  }
  if (report.soak) {
    const s = report.soak
    rows.push([
      `Soak ${s.messages} msgs at ${f(s.msgPerSec, 0)} msg/s (offered ${s.offeredPerSec}): RSS max deviation from its median after warm-up`,
      `${f(s.maxDeviationAfterWarmup * 100, 1)} % (median ${f(s.rssMedianAfterWarmupMB, 1)} MB)`,
      '≤ 10 %',
    ])
    rows.push(['Soak: peak RSS / idle RSS', `${f(s.peakToIdle, 2)} (idle ${f(s.idleRssMB, 1)} MB)`, '≤ 1.3'])
    rows.push(['Soak: RSS trend after warm-up', `${f(s.rssTrendMBPer10k, 2)} MB per 10k msgs`, ''])
    rows.push([
      "Soak: heap used after the runner's major GCs, trend after warm-up",
      `${f(s.heapAfterGcTrendMBPer10k, 2)} MB per 10k msgs`,
      'no leak: ~0',
    ])
  }
  if (report.relayCounts) {
    const relay = report.relayCounts
    const floor = report.floorCounts
    const calls = (counts: CountReport | undefined, pattern: RegExp) =>
      counts
        ? Object.entries(counts.callsPerMessage)
            .filter(([key]) => pattern.test(key))
            .reduce((sum, [, count]) => sum + count, 0)
        : Number.NaN
    rows.push([
      'Per message (--count): wallet unpack calls, relay / floor (raw anonDecrypt)',
      `${f(calls(relay, /PortableWallet\.js:unpack$/), 3)} / ${f(calls(floor, /envelope\.js:anonDecrypt$/), 3)}`,
      '',
    ])
    rows.push([
      'Per message: of which by Credo after the fast path (decrypted twice)',
      f(calls(relay, /WsOutboundTransport\.js:WsOutboundTransport\.handleMessageEvent$/), 3),
      '0',
    ])
    rows.push([
      'Per message: authcrypt box operations (unpack of frames + packs)',
      f(calls(relay, /didcommV1Envelope\.js:withSharedKey$/), 3),
      '',
    ])
    rows.push([
      'Per message: JS heap allocated, relay / floor',
      `${f(relay.allocatedBytesPerMessage / 1024, 1)} / ${f((floor?.allocatedBytesPerMessage ?? Number.NaN) / 1024, 1)} KiB`,
      '',
    ])
  }
  let text = table(rows)
  if (report.soak) {
    const { soak } = report
    text += `\n\nSoak: the runner every ${soak.gcEvery} messages (warm-up: first ${soak.warmupMessages}); RSS min / max over the samples since the row before (one every ${soak.sampleEvery}); heap in use, after the runner's last major GC, and after a forced full GC (idle and end only)\n\n`
    const rowsOfSoak = [
      [
        'Messages',
        'Elapsed (s)',
        'RSS (MB)',
        'RSS min / max (MB)',
        'Heap used (MB)',
        'After major GC (MB)',
        'Major GCs',
        'After forced GC (MB)',
      ],
    ]
    let since: SoakResult['samples'] = []
    for (const [index, sample] of soak.samples.entries()) {
      since.push(sample)
      const last = index === soak.samples.length - 1
      if (sample.messages % soak.gcEvery !== 0 && !last && sample.heapAfterGcMB === undefined) continue
      const rss = since.map((entry) => entry.rssMB)
      rowsOfSoak.push([
        String(sample.messages),
        f(sample.elapsedS, 1),
        f(sample.rssMB, 1),
        `${f(Math.min(...rss), 1)} / ${f(Math.max(...rss), 1)}`,
        f(sample.heapUsedMB, 1),
        f(sample.heapAfterMajorGcMB, 1),
        String(sample.majorGcs ?? ''),
        f(sample.heapAfterGcMB, 1),
      ])
      since = []
    }
    text += table(rowsOfSoak)
  }
  for (const [title, profile] of [
    ['throughput run', report.profile],
    ['latency run', report.profileLatency],
    ['pickup floor, its throughput run', report.profilePickupFloor],
  ] as const) {
    if (!profile) continue
    text += `\n\n${title.startsWith('pickup') ? 'CPU profile' : 'Proxy CPU profile'}, ${title} (${profile.file}, ${profile.samples} samples, busy ${f(profile.busyPercent, 0)} %): top self time\n\n`
    text += table([
      ['Function (file:line)', 'Self %', 'Total %'],
      ...profile.top.map((entry) => [entry.name, f(entry.selfPercent, 1), f(entry.totalPercent, 1)]),
    ])
  }
  return text
}

/** The last line, exactly `relay: X msg/s, p99 Y ms, ratio-to-floor Z`. */
export function lastLine(report: BenchReport): string {
  const x = report.relay ? Math.round(report.relay.msgPerSec) : Number.NaN
  const y = report.latency ? round(report.latency.fromDelivery.p99, 1) : Number.NaN
  const z = report.ratioToFloor !== undefined ? round(report.ratioToFloor, 2) : Number.NaN
  return `relay: ${x} msg/s, p99 ${y} ms, ratio-to-floor ${z}`
}
