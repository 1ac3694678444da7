import { Session } from 'node:inspector'
import WebSocket from 'ws'

type Post = (method: string, params: Record<string, unknown>) => Promise<unknown>

/**
 * A client of the V8 inspector of the runner (started with `--inspect=127.0.0.1:0`), so that the
 * bench reads what the runner's code never reports, with no code in the runner:
 * - the heap used after a full GC, beside RSS, to tell a sawtooth from a leak;
 * - exact call counts of functions (precise coverage), to count decryptions and parses;
 * - bytes allocated (the sampling heap profiler, collected objects included).
 */
export class InspectorClient {
  private constructor(
    private readonly post: Post,
    private readonly disconnect: () => void,
  ) {}

  /** The inspector of another process, at the URL it printed. */
  public static async connect(url: string): Promise<InspectorClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 2 ** 30 })
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    let nextId = 1
    const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } }
      if (message.id === undefined) return
      const waiter = pending.get(message.id)
      pending.delete(message.id)
      if (message.error) waiter?.reject(new Error(message.error.message))
      else waiter?.resolve(message.result)
    })
    const post: Post = (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++
        pending.set(id, { resolve, reject })
        socket.send(JSON.stringify({ id, method, params }))
      })
    return new InspectorClient(post, () => socket.close())
  }

  /** This process's own inspector (for the floor, which runs in the bench process). */
  public static inProcess(): InspectorClient {
    const session = new Session()
    session.connect()
    const post: Post = (method, params) =>
      new Promise((resolve, reject) =>
        session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
      )
    return new InspectorClient(post, () => session.disconnect())
  }

  public send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.post(method, params) as Promise<T>
  }

  /** A full GC, then the heap V8 still uses: what is live, with no garbage waiting for collection. */
  public async heapUsedAfterGc(): Promise<{ usedBytes: number; totalBytes: number }> {
    await this.send('HeapProfiler.collectGarbage')
    const usage = await this.send<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage')
    return { usedBytes: usage.usedSize, totalBytes: usage.totalSize }
  }

  /**
   * Watches the runner's own major GCs (a PerformanceObserver installed through the inspector,
   * no code of the runner's): after each, the heap still in use, which is what is live. Unlike
   * `heapUsedAfterGc` it changes nothing in how the runner collects, so RSS is not disturbed.
   */
  public async watchMajorGcs(): Promise<void> {
    await this.evaluate(`(() => {
      const { PerformanceObserver, constants } = process.mainModule.require('node:perf_hooks')
      const v8 = process.mainModule.require('node:v8')
      const probe = { majorGcs: 0, heapAfterMajorGcBytes: Number.NaN }
      globalThis.__benchMajorGcProbe = probe
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue
          probe.majorGcs++
          probe.heapAfterMajorGcBytes = v8.getHeapStatistics().used_heap_size
        }
      }).observe({ entryTypes: ['gc'] })
      return true
    })()`)
  }

  /** Major GCs since `watchMajorGcs`, and the heap in use after the last one. */
  public async lastMajorGc(): Promise<{ majorGcs: number; heapAfterMajorGcBytes: number }> {
    return this.evaluate('globalThis.__benchMajorGcProbe')
  }

  private async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send<{
      result: { value: T }
      exceptionDetails?: { text: string; exception?: { description?: string } }
    }>('Runtime.evaluate', { expression, returnByValue: true })
    if (exceptionDetails) {
      throw new Error(
        `inspector evaluation failed: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`,
      )
    }
    return result.value
  }

  /** Starts counting calls of every function; `takeCallCounts` reads and resets the counters. */
  public async startCallCounts(): Promise<void> {
    await this.send('Profiler.enable')
    await this.send('Profiler.startPreciseCoverage', { callCount: true, detailed: false })
  }

  /** Calls since the last take, per `file:function` for the functions `wanted` matches. */
  public async takeCallCounts(wanted: (key: string) => boolean): Promise<Record<string, number>> {
    const { result } = await this.send<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage')
    const counts: Record<string, number> = {}
    for (const script of result) {
      const file = script.url.replace(/.*\/node_modules\//, '').replace(/.*\/(packages|apps|bench)\//, '$1/')
      for (const fn of script.functions) {
        const key = `${file}:${fn.functionName || '(anonymous)'}`
        if (!wanted(key)) continue
        counts[key] = (counts[key] ?? 0) + fn.ranges[0].count
      }
    }
    return counts
  }

  public async stopCallCounts(): Promise<void> {
    await this.send('Profiler.stopPreciseCoverage')
  }

  /**
   * Starts the sampling heap profiler with the objects that GCs collect included, so that the
   * samples add up to the bytes allocated, not to what survives.
   */
  public async startAllocationSampling(intervalBytes = 4096): Promise<void> {
    await this.send('HeapProfiler.enable')
    await this.send('HeapProfiler.startSampling', {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    })
  }

  /** Bytes allocated since the start (an estimate from the samples), in total and by top frames. */
  public async stopAllocationSampling(): Promise<{ totalBytes: number; top: { frame: string; bytes: number }[] }> {
    const { profile } = await this.send<{ profile: { head: SamplingNode } }>('HeapProfiler.stopSampling')
    const byFrame = new Map<string, number>()
    let totalBytes = 0
    const name = ({ url, functionName }: SamplingNode['callFrame']) =>
      `${url.replace(/.*\/node_modules\//, '').replace(/.*\/(packages|apps|bench)\//, '$1/') || '(native)'}:${functionName || '(anonymous)'}`
    // A builtin (Array.prototype.filter, an iterator's next) is named with its two callers.
    const walk = (node: SamplingNode, callers: string[]) => {
      totalBytes += node.selfSize
      const frame = name(node.callFrame)
      const label = node.callFrame.url ? frame : [frame, ...callers.slice(-2).reverse()].join(' < ')
      byFrame.set(label, (byFrame.get(label) ?? 0) + node.selfSize)
      for (const child of node.children) walk(child, [...callers, frame])
    }
    walk(profile.head, [])
    const top = [...byFrame.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([frame, bytes]) => ({ frame, bytes }))
    return { totalBytes, top }
  }

  public close(): void {
    this.disconnect()
  }
}

interface ScriptCoverage {
  url: string
  functions: { functionName: string; ranges: { count: number }[] }[]
}

interface SamplingNode {
  callFrame: { functionName: string; url: string }
  selfSize: number
  children: SamplingNode[]
}

/** The websocket URL that `node --inspect=HOST:0` writes to stderr once it listens. */
export function inspectorUrlFrom(stderrChunk: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderrChunk)?.[1]
}
