import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { freePort } from '@proxy-mediator/topology'
import { sleep } from './clock'
import { startRunner } from './proxy'
import { type LatencySummary, ratio, summarize } from './stats'

export interface AbuseReport {
  recipientsPerEnvelope: number
  envelopeBytes: number
  floodClients: number
  floodSeconds: number
  floodRequests: number
  floodStatuses: Record<number, number>
  healthIdleMs: LatencySummary
  healthUnderFloodMs: LatencySummary
  healthP99Ratio: number
  eventLoopLagIdleMs: { p99: number; max: number }
  eventLoopLagUnderFloodMs: { p99: number; max: number }
  eventLoopLagP99Ratio: number
}

/** Posts the envelope from `clients` concurrent loops until the deadline, then reports the answers. */
const FLOOD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { endpoint, envelope, clients, deadline } = workerData
const statuses = {}
let requests = 0
const client = async () => {
  while (Date.now() < deadline) {
    const response = await fetch(endpoint + '/', { method: 'POST', headers: { 'content-type': 'application/didcomm-envelope-enc' }, body: envelope })
    await response.arrayBuffer()
    statuses[response.status] = (statuses[response.status] || 0) + 1
    requests++
  }
}
Promise.all(Array.from({ length: clients }, client)).then(() => parentPort.postMessage({ statuses, requests }))
`

const RECIPIENTS = 40_000
const FLOOD_CLIENTS = 10
const FLOOD_SECONDS = 10

/**
 * What an anonymous recipient flood costs the real runner: /health latency and the runner's own
 * event-loop lag (prom-client's monitorEventLoopDelay, reset at each scrape), idle and while 10
 * clients post envelopes listing 40,000 recipients each, as the issue measured them (3.1 s of
 * event loop per envelope before the limits). Ratios, not absolute times: the machine varies.
 */
export async function runAbuseReport(progress: (line: string) => void): Promise<AbuseReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-abuse-'))
  const runner = await startRunner({ port: await freePort(), storageDir: join(dir, 'proxy'), relayConcurrency: 16 })
  try {
    const envelope = floodEnvelope(RECIPIENTS)
    await scrapeLag(runner.endpoint)
    progress('idle: /health, 200 times')
    const healthIdleMs = await healthLatencies(runner.endpoint, () => false, 200)
    const eventLoopLagIdleMs = await scrapeLag(runner.endpoint)

    progress(
      `flood: ${FLOOD_CLIENTS} clients posting ${RECIPIENTS.toLocaleString('en')}-recipient envelopes for ${FLOOD_SECONDS} s`,
    )
    const deadline = Date.now() + FLOOD_SECONDS * 1000
    // The flood comes from a worker thread, so that this thread's /health probe measures the
    // runner, not its own event loop busy pushing bodies.
    const flood = new Worker(FLOOD_WORKER, {
      eval: true,
      workerData: { endpoint: runner.endpoint, envelope, clients: FLOOD_CLIENTS, deadline },
    })
    const flooded = new Promise<{ statuses: Record<number, number>; requests: number }>((resolve, reject) => {
      flood.once('message', resolve)
      flood.once('error', reject)
    })
    const [healthUnderFloodMs, { statuses, requests: floodRequests }] = await Promise.all([
      healthLatencies(runner.endpoint, () => Date.now() >= deadline),
      flooded,
    ])
    const eventLoopLagUnderFloodMs = await scrapeLag(runner.endpoint)
    return {
      recipientsPerEnvelope: RECIPIENTS,
      envelopeBytes: envelope.length,
      floodClients: FLOOD_CLIENTS,
      floodSeconds: FLOOD_SECONDS,
      floodRequests,
      floodStatuses: statuses,
      healthIdleMs,
      healthUnderFloodMs,
      healthP99Ratio: ratio(healthUnderFloodMs.p99, healthIdleMs.p99),
      eventLoopLagIdleMs,
      eventLoopLagUnderFloodMs,
      eventLoopLagP99Ratio: ratio(eventLoopLagUnderFloodMs.p99, eventLoopLagIdleMs.p99),
    }
  } finally {
    await runner.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function floodEnvelope(recipients: number): string {
  const kid = 'H3C2AVvLMv6gmMNam3uVAjZpfkcJCwDmqPV'
  const header = {
    enc: 'xchacha20poly1305_ietf',
    typ: 'JWM/1.0',
    alg: 'Anoncrypt',
    recipients: Array.from({ length: recipients }, (_, index) => ({
      encrypted_key: 'AAAA',
      header: { kid: `${kid}${index}` },
    })),
  }
  return JSON.stringify({
    protected: Buffer.from(JSON.stringify(header)).toString('base64url'),
    iv: 'AAAAAAAAAAAAAAAA',
    ciphertext: 'AAAA',
    tag: 'AAAAAAAAAAAAAAAAAAAAAA',
  })
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

/** The runner's event-loop lag since the previous scrape (prom-client resets it at each one). */
async function scrapeLag(endpoint: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${endpoint}/metrics`)).text()
  const seconds = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
  return {
    p99: seconds('nodejs_eventloop_lag_p99_seconds') * 1000,
    max: seconds('nodejs_eventloop_lag_max_seconds') * 1000,
  }
}
