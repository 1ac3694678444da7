import { RelayHttpClient } from '@proxy-mediator/proxy-mediator'
import { nowMs } from './clock'
import { cpuMsOfPid } from './proxy'
import { type BoxKeyPair, type Envelope, anonDecrypt } from './envelope'
import type { Sink } from './sink'
import { rate } from './stats'

export interface FloorResult {
  messages: number
  elapsedMs: number
  msgPerSec: number
  failures: number
  duplicates: number
  /** CPU milliseconds per message of the bench process (the floor; the driver mediator idles meanwhile). */
  cpuMsPerMessage: number
  /** CPU milliseconds per message of the sink process, which the floor and the relay both post to. */
  sinkCpuMsPerMessage: number
}

/**
 * The minimal relay of the same forwards: raw libsodium anoncrypt-unpack, a JSON parse, and a
 * POST of the inner envelope to the same sink with the proxy's own HTTP client class, at the
 * same concurrency. Timed from the first unpack to the sink's last arrival.
 */
export async function runFloor(options: {
  forwards: Envelope[]
  runTag: number
  key: BoxKeyPair
  sink: Sink
  concurrency: number
}): Promise<FloorResult> {
  const { forwards, key, sink, concurrency } = options
  await sink.reset(options.runTag)
  const client = new RelayHttpClient(concurrency)
  let next = 0
  let failures = 0
  const cpuBefore = process.cpuUsage()
  const sinkCpuBefore = cpuMsOfPid(sink.pid)
  const started = nowMs()
  const worker = async () => {
    while (next < forwards.length) {
      const forward = JSON.parse(anonDecrypt(forwards[next++], key))
      const { status } = await client.post(sink.url, JSON.stringify(forward.msg), 10_000)
      if (status < 200 || status >= 300) failures++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const count = await sink.count()
  const cpu = process.cpuUsage(cpuBefore)
  const sinkCpuMs = cpuMsOfPid(sink.pid) - sinkCpuBefore
  client.close()
  const elapsedMs = count.lastAt - started
  return {
    messages: count.unique,
    elapsedMs,
    msgPerSec: rate(count.unique, elapsedMs),
    failures,
    duplicates: count.duplicates,
    cpuMsPerMessage: (cpu.user + cpu.system) / 1000 / forwards.length,
    sinkCpuMsPerMessage: sinkCpuMs / forwards.length,
  }
}
