import { getPriority, setPriority } from 'node:os'

/**
 * Lowers the scheduling priority of the calling thread, the bench's main thread where the driver
 * mediator runs, to `nice`. It never raises it, since raising needs root. On Linux a nice value is
 * per thread, so V8's helper threads keep theirs. The processes started earlier keep their own
 * priority too, so they win every contended core.
 *
 * Why the bench does it: on two shared cores, the bench process is the external mediator, and the
 * proxy's added latency was measured while that mediator competed with the runner and the sink at
 * equal priority. At 500 msg/s, with every forward in its own delivery, Credo's mediator used 0.6 of
 * a core (perf: the bench process 0.62 cores, the runner 0.36, the sink 0.08), and the latency tail
 * came in clusters of consecutive messages, each the runner waiting for a core. In a deployment the
 * external mediator is another machine. Returns the priority it had, or undefined when refused.
 */
export function yieldToChildren(nice: number): number | undefined {
  const before = getPriority()
  if (before >= nice) return before
  try {
    setPriority(nice)
    return before
  } catch {
    return undefined
  }
}
