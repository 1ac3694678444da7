import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { progress, sleep } from './clock'
import { type ThroughputResult, runThroughput, runOfferedLoad, runSoak } from './driver'
import { yieldToChildren } from './priority'
import { runEndToEnd } from './e2e'
import { type Envelope, generateBoxKeyPair, readySodium } from './envelope'
import { type FloorResult, runFloor } from './floor'
import { type PickupFloor, startPickupFloor } from './pickupFloor'
import { generateForwards } from './forwards'
import { runAbuseReport } from './abuse'
import { type AcapyDrainReport, runAcapyDrain } from './acapyDrain'
import { summarizeProfile } from './profile'
import { type BenchReport, type CountReport, lastLine, renderTable } from './report'
import { InspectorClient } from './inspector'
import { combineFloor, combineThroughput, orderOfRound, splitIntoRounds } from './rounds'
import { setUpRelay } from './setup'
import { maxRelativeDeviation, ratio, slope, summarize } from './stats'

const USAGE = `yarn bench [options]

  --messages N          forwards in the throughput run (default 10000)
  --warmup N            forwards through the floor, the pickup floor and the proxy before any timing (default 5000)
  --rounds N            interleaved rounds the throughput forwards are split into, per kind (default 4; 1 with --count or --profile)
  --rate R              offered load of the latency run, msg/s (default 500)
  --latency-messages N  forwards in the latency run (default 5000)
  --driver-nice N       the nice value (1-19, default 10) the bench process takes for a second latency run,
                        the last of all: the same forwards' latency with the driver mediator yielding its
                        cores to the runner and the sink, as a mediator on another machine would
  --concurrency N       relays in flight, proxy and floor alike (default 16)
  --window N            messages the driver keeps handed out and unacknowledged (default 200)
  --batch N             messages per delivery the driver pushes (default 10, as Credo's mediator)
  --pull                also measure pickup-protocol-only throughput (status / delivery-request)
  --skip-e2e            skip the end-to-end comparison
  --skip-transparent    skip the run through a second proxy in transparent relay mode
  --skip-acapy          skip the ACA-Py drain: a backlog drained from an ACA-Py-like mediator (implicit pickup)
  --acapy               only the ACA-Py drain (about 30 s)
  --acapy-backlog N     messages of each backlog the ACA-Py drain empties (default 2000)
  --acapy-rounds N      alternating rounds of the ACA-Py drain, proxy and implicit floor (default 2)
  --e2e-messages N      basic messages per path and round (default 300)
  --e2e-rounds N        alternating rounds of the two paths (default 2)
  --wallet              the portable wallet's unpack and pack against raw libsodium (CPU µs and bytes allocated per call)
  --abuse               what an anonymous recipient flood costs, POSTed and as websocket frames: /health latency and event-loop lag, idle and flooded
  --soak                memory soak instead of the regular runs (100000 messages)
  --soak-messages N     messages of the soak (default 100000)
  --soak-rate R         offered rate of the soak, msg/s (default 1000)
  --node-flags "F ..."  Node/V8 flags to start the runner with, for A/B runs (default: none, as yarn start)
  --count               count, per relayed message, the runner's calls (decryptions, parses) and bytes allocated
  --profile             run the proxy under node --cpu-prof and summarize the profile
  --in-process          run the proxy module in the bench process instead of the runner
  --batch-size N        the proxy's pickupBatchSize: the limit of its delivery-requests (default 100, as the runner)
  --pickup-window N     the proxy's pickupWindow: picked-up messages it keeps unacknowledged at most (default 200, as the runner)
  --json PATH           where to write the JSON report (default bench/results/<mode>-<date>.json)
`

interface Args {
  messages: number
  warmup: number
  rounds: number
  rate: number
  latencyMessages: number
  driverNice: number
  concurrency: number
  window: number
  batch: number
  pull: boolean
  skipE2e: boolean
  skipTransparent: boolean
  skipAcapy: boolean
  acapy: boolean
  acapyBacklog: number
  acapyRounds: number
  e2eMessages: number
  e2eRounds: number
  abuse: boolean
  wallet: boolean
  soak: boolean
  soakMessages: number
  soakRate: number
  nodeFlags: string[]
  profile: boolean
  count: boolean
  inProcess: boolean
  batchSize?: number
  pickupWindow?: number
  json?: string
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    messages: 10_000,
    warmup: 5_000,
    rounds: 4,
    rate: 500,
    latencyMessages: 5_000,
    driverNice: 10,
    concurrency: 16,
    window: 200,
    batch: 10,
    pull: false,
    skipE2e: false,
    skipTransparent: false,
    skipAcapy: false,
    acapy: false,
    acapyBacklog: 2_000,
    acapyRounds: 2,
    e2eMessages: 300,
    e2eRounds: 2,
    abuse: false,
    wallet: false,
    soak: false,
    soakMessages: 100_000,
    soakRate: 1000,
    nodeFlags: [],
    profile: false,
    count: false,
    inProcess: false,
  }
  const numbers: Record<string, keyof Args> = {
    '--messages': 'messages',
    '--warmup': 'warmup',
    '--rounds': 'rounds',
    '--rate': 'rate',
    '--latency-messages': 'latencyMessages',
    '--driver-nice': 'driverNice',
    '--concurrency': 'concurrency',
    '--window': 'window',
    '--batch': 'batch',
    '--e2e-messages': 'e2eMessages',
    '--e2e-rounds': 'e2eRounds',
    '--soak-messages': 'soakMessages',
    '--soak-rate': 'soakRate',
    '--batch-size': 'batchSize',
    '--pickup-window': 'pickupWindow',
    '--acapy-backlog': 'acapyBacklog',
    '--acapy-rounds': 'acapyRounds',
  }
  const flags: Record<string, keyof Args> = {
    '--pull': 'pull',
    '--skip-e2e': 'skipE2e',
    '--skip-transparent': 'skipTransparent',
    '--skip-acapy': 'skipAcapy',
    '--acapy': 'acapy',
    '--soak': 'soak',
    '--abuse': 'abuse',
    '--wallet': 'wallet',
    '--profile': 'profile',
    '--count': 'count',
    '--in-process': 'inProcess',
  }
  for (let index = 0; index < argv.length; index++) {
    const [name, inline] = argv[index].split('=', 2)
    if (name === '--help' || name === '-h') {
      process.stdout.write(USAGE)
      process.exit(0)
    }
    if (flags[name]) {
      ;(args as unknown as Record<string, unknown>)[flags[name]] = true
      continue
    }
    const value = inline ?? argv[++index]
    if (name === '--json') {
      args.json = value
      continue
    }
    if (name === '--node-flags') {
      args.nodeFlags = (value ?? '').split(/\s+/).filter(Boolean)
      continue
    }
    const key = numbers[name]
    const parsed = Number(value)
    // Only the offered rates may be fractional: a count such as --rounds 2.5 would lose forwards.
    const whole = key !== 'rate' && key !== 'soakRate'
    const outOfRange = key === 'driverNice' && parsed > 19
    if (!key || !Number.isFinite(parsed) || parsed <= 0 || (whole && !Number.isInteger(parsed)) || outOfRange) {
      process.stderr.write(`Unknown option or bad value: ${argv[index - (inline ? 0 : 1)]} ${value ?? ''}\n\n${USAGE}`)
      process.exit(2)
    }
    ;(args as unknown as Record<string, unknown>)[key] = parsed
  }
  return args
}

const RESULTS_DIR = resolve(__dirname, '..', 'results')

function newestProfile(dir: string): string | undefined {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.cpuprofile'))
      .map((name) => join(dir, name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  } catch {
    return undefined
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  if (args.abuse) return reportAbuse(args)
  if (args.wallet) return reportWallet()
  await readySodium()
  if (args.acapy) return reportAcapyDrain(args)
  const profileDir = args.profile
    ? join(RESULTS_DIR, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'))
    : undefined
  if (profileDir) mkdirSync(profileDir, { recursive: true })

  const setup = await setUpRelay({
    inProcess: args.inProcess,
    proxy: { ...proxyOptionsOf(args, profileDir), inspect: args.soak || args.count },
  })
  const report: BenchReport = { ...reportHead(args, setup.proxy.kind), targets: {} }
  let pickupFloor: PickupFloor | undefined
  try {
    const base = { agentVerkey: setup.agentVerkey, proxyRoutingVerkey: setup.proxyRoutingVerkey }
    if (args.soak) {
      const poolSize = Math.min(args.soakMessages, 10_000)
      progress(`generating a pool of ${poolSize} forwards`)
      const pool = generateForwards({ ...base, count: poolSize, runTag: 9 })
      const warmupMessages = Math.round(args.soakMessages / 10)
      const sampleEvery = Math.max(500, Math.round(args.soakMessages / 100))
      const soak = await runSoak({
        setup,
        pool: pool.toProxy,
        runTag: 9,
        total: args.soakMessages,
        perSec: args.soakRate,
        window: args.window,
        batch: args.batch,
        sampleEvery,
        gcEvery: sampleEvery * 10,
        warmupMessages,
      })
      const afterWarmup = soak.samples.filter((sample) => sample.messages >= warmupMessages)
      const rssAfterWarmup = afterWarmup.map((sample) => sample.rssMB)
      const median = summarize(rssAfterWarmup).p50
      const deviation = maxRelativeDeviation(rssAfterWarmup, median)
      const peakToIdle = Math.max(...soak.samples.map((sample) => sample.rssMB)) / soak.idleRssMB
      const gcPoints = afterWarmup.filter((sample) => Number.isFinite(sample.heapAfterMajorGcMB))
      report.soak = {
        ...soak,
        maxDeviationAfterWarmup: deviation,
        peakToIdle,
        flat: deviation <= 0.1,
        rssMedianAfterWarmupMB: median,
        rssTrendMBPer10k: slope(afterWarmup.map((sample) => ({ x: sample.messages / 10_000, y: sample.rssMB }))),
        heapAfterGcTrendMBPer10k: gcPoints.length
          ? slope(gcPoints.map((sample) => ({ x: sample.messages / 10_000, y: sample.heapAfterMajorGcMB as number })))
          : undefined,
      }
      report.targets.soakFlat = { goal: '≤ 10 % from the median', measured: deviation, met: deviation <= 0.1 }
      report.targets.soakPeakToIdle = { goal: '≤ 1.3', measured: peakToIdle, met: peakToIdle <= 1.3 }
    } else {
      const floorKey = generateBoxKeyPair()
      progress(
        `generating ${args.messages} forwards (+ the same for the floor) and ${args.latencyMessages} for the latency run`,
      )
      const forwards = generateForwards({ ...base, count: args.messages, runTag: 1, floorKey })
      // A warm-up long enough for the JIT: after 1,000 forwards, V8 was still compiling the runner's
      // path on its helper threads through the first seconds of the timed run (perf, CPU samples).
      const warm = generateForwards({ ...base, count: args.warmup, runTag: 3, floorKey })
      const latencyForwards = generateForwards({ ...base, count: args.latencyMessages, runTag: 2 })
      const yieldingLatencyForwards = generateForwards({ ...base, count: args.latencyMessages, runTag: 8 })
      const pickupForwards = generateForwards({ ...base, count: args.messages, runTag: 7, floorKey })

      progress('the pickup floor: a minimal pickup 2.0 relay with no Credo code, on its own connection to the mediator')
      pickupFloor = await startPickupFloor(setup, {
        forwardKey: floorKey,
        concurrency: args.concurrency,
        window: args.pickupWindow ?? 200,
        batchSize: args.batchSize ?? 100,
        cpuProfileDir: profileDir && join(profileDir, 'pickup-floor'),
      })
      const pickupRecipient = pickupFloor
      const runs = {
        floor: (part: Envelope[], runTag: number) =>
          runFloor({ forwards: part, runTag, key: floorKey, sink: setup.sink, concurrency: args.concurrency }),
        pickupFloor: (part: Envelope[], runTag: number) =>
          runThroughput({
            setup,
            forwards: part,
            runTag,
            mode: 'push',
            window: args.window,
            batch: args.batch,
            recipient: pickupRecipient,
          }),
        relay: (part: Envelope[], runTag: number) =>
          runThroughput({ setup, forwards: part, runTag, mode: 'push', window: args.window, batch: args.batch }),
      }

      progress(`warm-up: floor, pickup floor and proxy, ${args.warmup} forwards each`)
      await runs.floor(warm.toFloor, 3)
      await runs.pickupFloor(warm.toFloor, 3)
      await runs.relay(warm.toProxy, 3)

      // --count and --profile measure a run's whole span in the runner, so theirs are not interleaved.
      const rounds = args.count || args.profile ? 1 : args.rounds
      const parts = {
        floor: splitIntoRounds(forwards.toFloor, rounds),
        pickupFloor: splitIntoRounds(pickupForwards.toFloor, rounds),
        relay: splitIntoRounds(forwards.toProxy, rounds),
      }
      const runTags = { floor: 1, pickupFloor: 7, relay: 1 }
      const results = {
        floor: [] as FloorResult[],
        pickupFloor: [] as ThroughputResult[],
        relay: [] as ThroughputResult[],
      }
      progress(
        `${args.messages} forwards each through the floor, the pickup floor and the proxy, in ${parts.relay.length} interleaved rounds`,
      )
      const floorCounter = args.count ? await startCounting(InspectorClient.inProcess()) : undefined
      report.rounds = []
      for (let round = 0; round < parts.relay.length; round++) {
        for (const kind of orderOfRound(['floor', 'pickupFloor', 'relay'] as const, round)) {
          // The runner has an inspector in a --count run; the module in-process has none to count with.
          const { inspector } = setup.proxy
          const relayCounter = kind === 'relay' && inspector ? await startCounting(inspector) : undefined
          if (kind === 'floor') {
            results.floor.push(await runs.floor(parts.floor[round], runTags.floor))
            if (floorCounter) report.floorCounts = await floorCounter.stop(results.floor[round].messages)
          } else results[kind].push(await runs[kind](parts[kind][round], runTags[kind]))
          if (relayCounter) report.relayCounts = await relayCounter.stop(results.relay[round].messages)
          await sleep(200)
        }
        report.rounds.push({
          floor: results.floor[round].msgPerSec,
          pickupFloor: results.pickupFloor[round].msgPerSec,
          relay: results.relay[round].msgPerSec,
        })
        progress(
          `  round ${round + 1}: floor ${results.floor[round].msgPerSec.toFixed(0)}, pickup floor ${results.pickupFloor[round].msgPerSec.toFixed(0)}, proxy ${results.relay[round].msgPerSec.toFixed(0)} msg/s`,
        )
      }
      report.floor = combineFloor(results.floor)
      report.pickupFloor = combineThroughput(results.pickupFloor)
      report.relay = combineThroughput(results.relay)
      report.ratioToFloor = ratio(report.relay.msgPerSec, report.floor.msgPerSec)
      report.ratioToPickupFloor = ratio(report.relay.msgPerSec, report.pickupFloor.msgPerSec)
      progress(
        `relay ${report.relay.msgPerSec.toFixed(0)} msg/s (CPU ms/msg: proxy ${report.relay.relayCpuMsPerMessage.toFixed(3)}, mediator+driver ${report.relay.driverCpuMsPerMessage.toFixed(3)}); ratio to the floor ${report.ratioToFloor.toFixed(2)}, to the pickup floor ${report.ratioToPickupFloor.toFixed(2)}`,
      )
      const floorPerSec = report.floor.msgPerSec
      // Not needed any more: nothing of it may run beside the latency run.
      await pickupFloor.stop()

      if (args.pull) {
        const pullForwards = generateForwards({ ...base, count: args.messages, runTag: 4 })
        progress(`relay, pickup protocol only: ${args.messages} forwards`)
        report.relayPull = await runThroughput({
          setup,
          forwards: pullForwards.toProxy,
          runTag: 4,
          mode: 'pull',
          window: 0,
          batch: args.batch,
        })
        progress(`relay (pull): ${report.relayPull.msgPerSec.toFixed(0)} msg/s`)
      }

      progress(`latency: ${args.latencyMessages} forwards offered at ${args.rate} msg/s`)
      report.latency = await runOfferedLoad({ setup, forwards: latencyForwards.toProxy, runTag: 2, perSec: args.rate })
      progress(
        `latency p50/p95/p99: ${report.latency.fromDelivery.p50.toFixed(2)} / ${report.latency.fromDelivery.p95.toFixed(2)} / ${report.latency.fromDelivery.p99.toFixed(2)} ms`,
      )

      if (!args.skipE2e) {
        progress(`end to end: ${args.e2eMessages} basic messages per path, ${args.e2eRounds} rounds`)
        report.endToEnd = await runEndToEnd({
          setup,
          messages: args.e2eMessages,
          concurrency: 5,
          rounds: args.e2eRounds,
        })
      }
      if (!args.skipTransparent) {
        report.relayTransparent = await runTransparent(args, profileDir)
        report.transparentRatioToFloor = ratio(report.relayTransparent.msgPerSec, floorPerSec)
        progress(
          `relay, transparent mode: ${report.relayTransparent.msgPerSec.toFixed(0)} msg/s (ratio to floor ${report.transparentRatioToFloor.toFixed(2)})`,
        )
      }
      if (!args.skipAcapy) {
        report.acapyDrain = await runAcapyDrainOf(args, profileDir)
        report.targets.acapyDrainRatio = acapyDrainTarget(report.acapyDrain)
      }
      // Last of all, since a process cannot take its priority back without root.
      progress(`latency again, the bench process (driver mediator) at nice ${args.driverNice}`)
      const priorityBefore = yieldToChildren(args.driverNice)
      if (priorityBefore === undefined) progress('warning: the bench could not lower its own priority; skipped')
      else {
        report.latencyDriverYielding = await runOfferedLoad({
          setup,
          forwards: yieldingLatencyForwards.toProxy,
          runTag: 8,
          perSec: args.rate,
        })
        report.driverNiceBefore = priorityBefore
        const { fromDelivery } = report.latencyDriverYielding
        progress(
          `latency p50/p95/p99, driver yielding: ${fromDelivery.p50.toFixed(2)} / ${fromDelivery.p95.toFixed(2)} / ${fromDelivery.p99.toFixed(2)} ms`,
        )
      }
      report.targets.relayMsgPerSec = {
        goal: '≥ 2000',
        measured: report.relay.msgPerSec,
        met: report.relay.msgPerSec >= 2000,
      }
      report.targets.p99Ms = {
        goal: '≤ 10',
        measured: report.latency.fromDelivery.p99,
        met: report.latency.fromDelivery.p99 <= 10,
      }
      if (report.latencyDriverYielding) {
        const { p99 } = report.latencyDriverYielding.fromDelivery
        report.targets.p99MsDriverYielding = { goal: '≤ 10', measured: p99, met: p99 <= 10 }
      }
      report.targets.ratioToFloor = { goal: '≥ 0.8', measured: report.ratioToFloor, met: report.ratioToFloor >= 0.8 }
      report.targets.ratioToPickupFloor = {
        goal: '≥ 0.8',
        measured: report.ratioToPickupFloor,
        met: report.ratioToPickupFloor >= 0.8,
      }
      if (report.endToEnd) {
        report.targets.endToEndRatio = {
          goal: '≥ 0.9',
          measured: report.endToEnd.ratio,
          met: report.endToEnd.ratio >= 0.9,
        }
      }
    }
  } finally {
    progress('stopping')
    await pickupFloor?.stop()
    await setup.stop()
    rmSync(setup.dir, { recursive: true, force: true })
  }
  const pickupFloorProfile = profileDir && newestProfile(join(profileDir, 'pickup-floor'))
  if (pickupFloorProfile && report.pickupFloor) {
    const focus = [/bench\/build\//, /proxy-mediator\//, /portable-wallet\//]
    report.profilePickupFloor = summarizeProfile(pickupFloorProfile, 25, focus, report.pickupFloor.window)
  }

  if (profileDir) {
    const file = newestProfile(profileDir)
    if (file) {
      const focus = [/proxy-mediator\//, /portable-wallet\//, /credo-ts/]
      if (report.relay) report.profile = summarizeProfile(file, 25, focus, report.relay.window)
      if (report.latency) report.profileLatency = summarizeProfile(file, 25, focus, report.latency.window)
      progress(`profile: ${file}`)
    }
  }

  const jsonPath = writeJsonReport(args, args.soak ? 'soak' : 'relay', report.date, report)
  process.stdout.write(`\n${renderTable(report)}\n\nJSON report: ${jsonPath}\n`)
  if (!args.soak) process.stdout.write(`${lastLine(report)}\n`)
  else
    process.stdout.write(
      `soak: ${report.soak?.messages} msgs at ${report.soak?.msgPerSec.toFixed(0)} msg/s, RSS deviation after warm-up ${((report.soak?.maxDeviationAfterWarmup ?? Number.NaN) * 100).toFixed(1)} % of the median, peak/idle ${report.soak?.peakToIdle.toFixed(2)}, heap after GC trend ${report.soak?.heapAfterGcTrendMBPer10k?.toFixed(2) ?? '?'} MB/10k\n`,
    )
}

/** The proxy under test as the command line sets it, for every run of the bench. */
function proxyOptionsOf(args: Args, profileDir: string | undefined) {
  return {
    relayConcurrency: args.concurrency,
    cpuProfileDir: profileDir,
    pickupBatchSize: args.batchSize,
    pickupWindow: args.pickupWindow,
    nodeFlags: args.nodeFlags,
  }
}

/**
 * The throughput run again through a second proxy in transparent relay mode, against its own
 * mediator and sink: the mediator queues the agent's own envelopes, which the proxy relays unopened.
 */
async function runTransparent(args: Args, profileDir: string | undefined) {
  progress('transparent mode: a second proxy (--relay-mode transparent), its own mediator and sink')
  const setup = await setUpRelay({
    inProcess: args.inProcess,
    proxy: { ...proxyOptionsOf(args, profileDir), relayMode: 'transparent' },
  })
  try {
    const base = { agentVerkey: setup.agentVerkey, proxyRoutingVerkey: setup.proxyRoutingVerkey, transparent: true }
    const warm = generateForwards({ ...base, count: args.warmup, runTag: 5 })
    const envelopes = generateForwards({ ...base, count: args.messages, runTag: 6 })
    await runThroughput({
      setup,
      forwards: warm.toProxy,
      runTag: 5,
      mode: 'push',
      window: args.window,
      batch: args.batch,
    })
    progress(`relay, transparent mode: ${args.messages} envelopes`)
    return await runThroughput({
      setup,
      forwards: envelopes.toProxy,
      runTag: 6,
      mode: 'push',
      window: args.window,
      batch: args.batch,
    })
  } finally {
    await setup.stop()
    rmSync(setup.dir, { recursive: true, force: true })
  }
}

/** The ACA-Py drain with the command line's settings (`acapyDrain.ts`). */
async function runAcapyDrainOf(args: Args, profileDir: string | undefined) {
  progress(
    `ACA-Py drain: ${args.acapyRounds} rounds of a ${args.acapyBacklog}-message backlog, through the proxy and the implicit floor`,
  )
  const drain = await runAcapyDrain({
    backlog: args.acapyBacklog,
    rounds: args.acapyRounds,
    proxy: proxyOptionsOf(args, profileDir),
  })
  progress(
    `ACA-Py drain: proxy ${drain.proxy.msgPerSec.toFixed(0)} msg/s, implicit floor ${drain.floor.msgPerSec.toFixed(0)} msg/s, ratio ${drain.ratio.toFixed(2)}`,
  )
  return drain
}

/** What every report of a relay run opens with: when, on which machine, with which settings and proxy. */
function reportHead(args: Args, proxyKind: BenchReport['proxy']['kind']) {
  return {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      node: process.version,
      platform: process.platform,
    },
    settings: { ...args },
    proxy: { kind: proxyKind },
  }
}

/** Writes a report as JSON to `--json`, else to the results directory under its kind and date; returns the path. */
function writeJsonReport(args: Args, kind: string, date: string, report: object): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const jsonPath = args.json ?? join(RESULTS_DIR, `${kind}-${date.replace(/[:.]/g, '-')}.json`)
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`)
  return jsonPath
}

const acapyDrainTarget = (drain: AcapyDrainReport) => ({
  goal: '≥ 0.5',
  measured: drain.ratio,
  met: drain.ratio >= 0.5,
})

/** `--acapy`: the ACA-Py drain alone, reported as the regular run reports it. */
async function reportAcapyDrain(args: Args) {
  const acapyDrain = await runAcapyDrainOf(args, undefined)
  const report: BenchReport = {
    ...reportHead(args, 'runner'),
    acapyDrain,
    targets: { acapyDrainRatio: acapyDrainTarget(acapyDrain) },
  }
  const jsonPath = writeJsonReport(args, 'acapy', report.date, report)
  process.stdout.write(`\n${renderTable(report)}\n\nJSON report: ${jsonPath}\n`)
  process.stdout.write(
    `acapy drain: proxy ${acapyDrain.proxy.msgPerSec.toFixed(0)} msg/s, implicit floor ${acapyDrain.floor.msgPerSec.toFixed(0)} msg/s, ratio ${acapyDrain.ratio.toFixed(2)}\n`,
  )
}

/** In its own process: the allocation windows need a young generation large enough to hold them. */
function reportWallet() {
  const flags = ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64']
  const result = spawnSync(process.execPath, [...flags, join(__dirname, 'walletBench.js')], { stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`the wallet bench exited with status ${result.status}`)
}

/** The functions whose calls `--count` reports: the wallet, the module, Credo's message path and storage. */
const COUNTED =
  /^(packages\/(portable-wallet|proxy-mediator)\/|@credo-ts\/core\/build\/(agent|storage|transport)\/|@credo-ts\/core\/build\/modules\/(connections|dids)\/|libsodium-wrappers-sumo\/|bench\/build\/(envelope|floor)\.js)/

/**
 * Exact call counts (precise coverage) and bytes allocated (sampling heap profiler) over one run,
 * per message. Both slow the process down: a `--count` run's timings are not comparable.
 */
async function startCounting(inspector: InspectorClient) {
  const wanted = (key: string) => COUNTED.test(key)
  await inspector.startCallCounts()
  await inspector.takeCallCounts(() => false)
  await inspector.startAllocationSampling()
  return {
    async stop(messages: number): Promise<CountReport> {
      const allocated = await inspector.stopAllocationSampling()
      const calls = await inspector.takeCallCounts(wanted)
      await inspector.stopCallCounts()
      const perMessage: Record<string, number> = {}
      for (const [key, count] of Object.entries(calls).sort((a, b) => b[1] - a[1])) {
        if (count > 0) perMessage[key] = count / messages
      }
      return {
        messages,
        callsPerMessage: perMessage,
        allocatedBytesPerMessage: allocated.totalBytes / messages,
        allocatedTop: allocated.top.map(({ frame, bytes }) => ({ frame, bytesPerMessage: bytes / messages })),
      }
    },
  }
}

async function reportAbuse(args: Args) {
  const report = await runAbuseReport(progress)
  const jsonPath = writeJsonReport(args, 'abuse', new Date().toISOString(), report)
  const ms = (value: number) => `${value.toFixed(1)} ms`
  const summary = ({ p50, p99, max }: { p50: number; p99: number; max: number }) =>
    `${ms(p50)} / ${ms(p99)} / ${ms(max)}`
  const lag = ({ p99, max }: { p99: number; max: number }) => `${ms(p99)} / ${ms(max)}`
  const floods = report.floods
  process.stdout.write(
    [
      `\nRecipient floods: envelopes of ${report.recipientsPerEnvelope.toLocaleString('en')} recipients (${(report.envelopeBytes / 1e6).toFixed(1)} MB), ${floods[0]?.clients} clients for ${floods[0]?.seconds} s each`,
      ...floods.map(
        (flood) => `- ${flood.transport}: ${flood.requests} envelopes; answers ${JSON.stringify(flood.answers)}`,
      ),
      `| measure | idle | ${floods.map((flood) => `${flood.transport} flood`).join(' | ')} |`,
      `| --- | --- | ${floods.map(() => '---').join(' | ')} |`,
      `| GET /health p50 / p99 / max | ${summary(report.healthIdleMs)} | ${floods.map((flood) => `${summary(flood.healthMs)} (p99 ${flood.healthP99Ratio.toFixed(1)}x)`).join(' | ')} |`,
      `| event-loop lag p99 / max | ${lag(report.eventLoopLagIdleMs)} | ${floods.map((flood) => `${lag(flood.eventLoopLagMs)} (p99 ${flood.eventLoopLagP99Ratio.toFixed(1)}x)`).join(' | ')} |`,
      `\nJSON report: ${jsonPath}`,
      `abuse: /health p99 ${floods.map((flood) => `${ms(flood.healthMs.p99)} under the ${flood.transport} flood (${flood.healthP99Ratio.toFixed(1)}x idle)`).join(', ')}; event-loop lag p99 ${floods.map((flood) => `${ms(flood.eventLoopLagMs.p99)} (${flood.transport})`).join(', ')}\n`,
    ].join('\n'),
  )
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`)
    process.exit(1)
  },
)
