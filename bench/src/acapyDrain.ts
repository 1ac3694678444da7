import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AcapyLikeAgent, AcapyLikeMediator } from '@proxy-mediator/acapy-like-peer'
import { freePort, until } from '@proxy-mediator/topology'
import { progress, sleep } from './clock'
import { type Envelope, anoncrypt, generateBoxKeyPair, x25519PublicOf } from './envelope'
import { FORWARD_TYPE, generateForwards } from './forwards'
import { type ImplicitFloor, setUpImplicitFloor } from './implicitFloor'
import { type ProxyOptions, type ProxyUnderTest, cpuMsOfPid, startRunner } from './proxy'
import { combineDrains, orderOfRound } from './rounds'
import { Sink } from './sink'
import { rate, ratio } from './stats'

/** One drain of a backlog: how long from the first message at the sink to the last, and the drainer's CPU. */
export interface DrainResult {
  messages: number
  msgPerSec: number
  /** The drainer's (runner's or floor's) CPU per message, from its first message at the sink to its last. */
  cpuMsPerMessage: number
}

export interface AcapyDrainReport {
  backlog: number
  rounds: { proxy: DrainResult; floor: DrainResult }[]
  proxy: DrainResult
  floor: DrainResult
  /** The proxy's drain rate over the implicit floor's. */
  ratio: number
}

/**
 * How fast the proxy (the real runner) empties a backlog that an ACA-Py-like external mediator
 * holds for it (`AcapyLikeMediator`, implicit pickup: a message out per message in), next to the
 * implicit pickup floor (`implicitFloorProcess.ts`) draining the same backlog from the same
 * mediator. The backlog builds while the drainer is away (the runner stopped, the floor not
 * started): each forward is posted to the mediator, which finds no session and queues it. The
 * drainer then connects, and is timed from its first message at the sink to its last. Rounds
 * alternate, the order rotated, since this machine's speed drifts.
 */
export async function runAcapyDrain(options: {
  backlog: number
  rounds: number
  proxy: Omit<ProxyOptions, 'port' | 'storageDir'>
}): Promise<AcapyDrainReport> {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-bench-acapy-'))
  const mediator = await AcapyLikeMediator.start()
  const proxyOptions: ProxyOptions = {
    ...options.proxy,
    pickupStrategy: 'auto',
    port: await freePort(),
    storageDir: join(dir, 'proxy'),
  }
  let proxy: ProxyUnderTest | undefined = await startRunner(proxyOptions)
  let sink: Sink | undefined
  try {
    await proxy.connectToMediator(mediator.createInvitationUrl(['didexchange/1.1', 'didexchange/1.0']))
    progress('ACA-Py drain: the proxy picks up from an ACA-Py-like mediator (implicit pickup)')
    // The agent key is registered as an ACA-Py agent registers it; then the sink takes its port.
    const agent = await AcapyLikeAgent.start({ label: 'bench-acapy-agent' })
    await agent.connect(await proxy.agentInvitationUrl(), { protocol: 'didexchange/1.1', did: 'peer:4-long' })
    const grant = await agent.requestMediation()
    await agent.registerKey()
    await agent.stop()
    sink = await Sink.start(Number(new URL(agent.endpoint).port))
    const [proxyRoutingVerkey, mediatorRoutingVerkey] = grant.routingKeys
    const agentVerkey = agent.routedKey.verkey
    const floorKey = generateBoxKeyPair()
    const floor = await setUpImplicitFloor(mediator, { forwardKey: floorKey, sinkUrl: sink.url, concurrency: 16 })

    const wrapForMediator = (to: string, inner: Envelope) =>
      anoncrypt(
        JSON.stringify({ '@type': FORWARD_TYPE, '@id': randomUUID(), to, msg: inner }),
        mediatorRoutingVerkey,
        x25519PublicOf(mediatorRoutingVerkey),
      )
    const rounds: AcapyDrainReport['rounds'] = []
    for (let round = 0; round < options.rounds; round++) {
      const result: Partial<AcapyDrainReport['rounds'][number]> = {}
      for (const kind of orderOfRound(['floor', 'proxy'] as const, round)) {
        const runTag = 20 + round * 2 + (kind === 'proxy' ? 0 : 1)
        const forwards = generateForwards({
          count: options.backlog,
          runTag,
          agentVerkey,
          proxyRoutingVerkey,
          floorKey,
        })
        const activeSink = sink
        if (kind === 'proxy') {
          const outer = forwards.toProxy.map((inner) => wrapForMediator(proxyRoutingVerkey, inner))
          await proxy?.stop()
          proxy = undefined
          await queueAtMediator(mediator, outer)
          await activeSink.reset(runTag)
          proxy = await startRunner(proxyOptions)
          const runner = proxy
          result.proxy = await timeDrain(activeSink, options.backlog, () => cpuMsOfPid(runner.pid))
        } else {
          const outer = forwards.toFloor.map((inner) => wrapForMediator(floorKey.verkey, inner))
          await queueAtMediator(mediator, outer)
          await activeSink.reset(runTag)
          result.floor = await drainWithFloor(floor, activeSink, options.backlog)
        }
        await sleep(200)
      }
      const done = result as AcapyDrainReport['rounds'][number]
      rounds.push(done)
      progress(
        `  ACA-Py drain round ${round + 1}: implicit floor ${done.floor.msgPerSec.toFixed(0)}, proxy ${done.proxy.msgPerSec.toFixed(0)} msg/s`,
      )
    }
    const proxyTotal = combineDrains(rounds.map((round) => round.proxy))
    const floorTotal = combineDrains(rounds.map((round) => round.floor))
    return {
      backlog: options.backlog,
      rounds,
      proxy: proxyTotal,
      floor: floorTotal,
      ratio: ratio(proxyTotal.msgPerSec, floorTotal.msgPerSec),
    }
  } finally {
    await proxy?.stop().catch(() => undefined)
    await sink?.close().catch(() => undefined)
    await mediator.stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Posts every forward to the mediator while no drainer is connected, so that it queues each one. */
async function queueAtMediator(mediator: AcapyLikeMediator, envelopes: Envelope[]): Promise<void> {
  const before = mediator.queuedMessages
  const [endpoint] = mediator.endpoints
  let next = 0
  const post = async () => {
    while (next < envelopes.length) {
      const body = JSON.stringify(envelopes[next++])
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/didcomm-envelope-enc' },
        body,
      })
      if (response.status !== 200) throw new Error(`the mediator answered ${response.status}`)
    }
  }
  await Promise.all(Array.from({ length: 8 }, post))
  const queued = mediator.queuedMessages - before
  if (queued !== envelopes.length) throw new Error(`the mediator queued ${queued} of ${envelopes.length} forwards`)
}

async function drainWithFloor(floor: ImplicitFloor, sink: Sink, messages: number): Promise<DrainResult> {
  const process = await floor.start()
  try {
    return await timeDrain(sink, messages, () => cpuMsOfPid(process.pid))
  } finally {
    await process.stop()
  }
}

/** From the sink's first arrival of the run to its last; the drainer's CPU is read at the first and at the end. */
async function timeDrain(sink: Sink, messages: number, cpuMs: () => number): Promise<DrainResult> {
  await until(async () => (await sink.count()).unique > 0, 60_000, 'the first drained message', 1)
  const cpuAtFirst = cpuMs()
  await until(async () => (await sink.count()).unique >= messages, 120_000, `${messages} drained messages`, 5)
  const cpuAtEnd = cpuMs()
  const { firstAt, lastAt, unique } = await sink.count()
  return {
    messages: unique,
    msgPerSec: rate(unique, lastAt - firstAt),
    cpuMsPerMessage: (cpuAtEnd - cpuAtFirst) / unique,
  }
}
