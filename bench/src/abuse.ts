import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { freePort, recipientFloodEnvelope } from '@proxy-mediator/topology'
import { sleep } from './clock'
import { startRunner } from './proxy'
import { type LatencySummary, ratio, summarize } from './stats'

type Lag = { p99: number; max: number }

/** One flood: how it came, how the runner answered, and what it cost everyone else. */
export interface FloodReport {
  /** `http`: POSTs of the envelope. `websocket`: each client opens a socket, sends it as a frame, waits for the close. */
  transport: 'http' | 'websocket'
  clients: number
  seconds: number
  /** Envelopes sent and answered. */
  requests: number
  /** The answers, counted: HTTP statuses, or websocket close codes and reasons. */
  answers: Record<string, number>
  healthMs: LatencySummary
  healthP99Ratio: number
  eventLoopLagMs: Lag
  eventLoopLagP99Ratio: number
}

export interface AbuseReport {
  recipientsPerEnvelope: number
  envelopeBytes: number
  healthIdleMs: LatencySummary
  eventLoopLagIdleMs: Lag
  floods: FloodReport[]
}

/** Sends the envelope from `clients` concurrent loops until the deadline, then reports the answers. */
const FLOOD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { transport, endpoint, envelope, clients, deadline, wsModule } = workerData
const answers = {}
let requests = 0
const postOnce = async () => {
  const response = await fetch(endpoint + '/', { method: 'POST', headers: { 'content-type': 'application/didcomm-envelope-enc' }, body: envelope })
  await response.arrayBuffer()
  return String(response.status)
}
const WebSocket = transport === 'websocket' ? require(wsModule) : undefined
const frameOnce = () => new Promise((resolve) => {
  const socket = new WebSocket(endpoint.replace('http', 'ws'))
  socket.once('open', () => socket.send(envelope))
  socket.once('close', (code, reason) => resolve(code + ' ' + reason.toString()))
  socket.once('error', (error) => resolve('error ' + error.message))
})
const client = async () => {
  while (Date.now() < deadline) {
    const answer = await (transport === 'websocket' ? frameOnce() : postOnce())
    answers[answer] = (answers[answer] || 0) + 1
    requests++
  }
}
Promise.all(Array.from({ length: clients }, client)).then(() => parentPort.postMessage({ answers, requests }))
`

const RECIPIENTS = 40_000
const FLOOD_CLIENTS = 10
const FLOOD_SECONDS = 10

/**
 * What an anonymous recipient flood costs the real runner: /health latency and the runner's own
 * event-loop lag (prom-client's monitorEventLoopDelay, reset at each scrape), idle and while 10
 * clients send envelopes listing 40,000 recipients each, as the issues measured them: POSTed (3.1 s
 * of event loop per envelope before the limits), then as websocket frames (/health up to 9 s, the
 * upstream socket dropped, before every frame went through the same gate). Ratios, not absolute
 * times: the machine varies.
 */
export async function runAbuseReport(progress: (line: string) => void): Promise<AbuseReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-abuse-'))
  const runner = await startRunner({ port: await freePort(), storageDir: join(dir, 'proxy'), relayConcurrency: 16 })
  try {
    const envelope = recipientFloodEnvelope(RECIPIENTS)
    await scrapeLag(runner.adminUrl ?? runner.endpoint)
    progress('idle: /health, 200 times')
    const healthIdleMs = await healthLatencies(runner.endpoint, () => false, 200)
    const eventLoopLagIdleMs = await scrapeLag(runner.adminUrl ?? runner.endpoint)
    const floods: FloodReport[] = []
    for (const transport of ['http', 'websocket'] as const) {
      progress(
        `${transport} flood: ${FLOOD_CLIENTS} clients sending ${RECIPIENTS.toLocaleString('en')}-recipient envelopes for ${FLOOD_SECONDS} s`,
      )
      const { answers, requests, healthMs } = await flood(transport, runner.endpoint, envelope)
      const eventLoopLagMs = await scrapeLag(runner.adminUrl ?? runner.endpoint)
      floods.push({
        transport,
        clients: FLOOD_CLIENTS,
        seconds: FLOOD_SECONDS,
        requests,
        answers,
        healthMs,
        healthP99Ratio: ratio(healthMs.p99, healthIdleMs.p99),
        eventLoopLagMs,
        eventLoopLagP99Ratio: ratio(eventLoopLagMs.p99, eventLoopLagIdleMs.p99),
      })
      await sleep(1_000)
    }
    return {
      recipientsPerEnvelope: RECIPIENTS,
      envelopeBytes: envelope.length,
      healthIdleMs,
      eventLoopLagIdleMs,
      floods,
    }
  } finally {
    await runner.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The flood comes from a worker thread, so that this thread's /health probe measures the runner,
 * not its own event loop busy pushing bodies.
 */
async function flood(transport: FloodReport['transport'], endpoint: string, envelope: string) {
  const deadline = Date.now() + FLOOD_SECONDS * 1000
  const worker = new Worker(FLOOD_WORKER, {
    eval: true,
    workerData: { transport, endpoint, envelope, clients: FLOOD_CLIENTS, deadline, wsModule: require.resolve('ws') },
  })
  const flooded = new Promise<{ answers: Record<string, number>; requests: number }>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  const [healthMs, { answers, requests }] = await Promise.all([
    healthLatencies(endpoint, () => Date.now() >= deadline),
    flooded,
  ])
  return { healthMs, answers, requests }
}

/** Sequential GET /health round trips, `count` of them or until `stop()`. */
async function healthLatencies(endpoint: string, stop: () => boolean, count = Number.POSITIVE_INFINITY) {
  const samples: number[] = []
  while (samples.length < count && !stop()) {
    const started = performance.now()
    await (await fetch(`${endpoint}/health`)).arrayBuffer()
    samples.push(performance.now() - started)
    await sleep(5)
  }
  return summarize(samples)
}

/** The runner's event-loop lag since the previous scrape (prom-client resets it at each one), from its admin listener. */
async function scrapeLag(adminUrl: string): Promise<Lag> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text()
  const seconds = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
  return {
    p99: seconds('nodejs_eventloop_lag_p99_seconds') * 1000,
    max: seconds('nodejs_eventloop_lag_max_seconds') * 1000,
  }
}
