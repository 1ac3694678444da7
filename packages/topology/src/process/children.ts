import type { ChildProcess } from 'node:child_process'

export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

/**
 * Remembers a child process until it exits, so that {@link stopAllChildren} and the exit hook
 * can end it: no role or runner outlives the orchestrator, even when a test fails or times out.
 */
export function trackChild(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    // Synchronous last resort when the orchestrator exits without cleaning up.
    process.once('exit', () => {
      for (const remaining of live) remaining.kill('SIGKILL')
    })
  }
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<ChildExit> {
  if (!isRunning(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/**
 * Asks the child to stop (SIGTERM, and SIGCONT in case it is stopped), and kills it with
 * SIGKILL if it has not exited after `graceMs`.
 */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<ChildExit> {
  if (!isRunning(child)) return exited(child)
  const exit = exited(child)
  const force = setTimeout(() => child.kill('SIGKILL'), graceMs)
  child.kill('SIGTERM')
  child.kill('SIGCONT')
  const result = await exit
  clearTimeout(force)
  return result
}

/** Stops every tracked child that is still running. */
export async function stopAllChildren(graceMs = 5_000): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child, graceMs)))
}

/** Keeps the last `max` lines a stream writes, e.g. a child's stderr for an error report. */
export function keepLines(stream: NodeJS.ReadableStream | null | undefined, lines: string[], max: number): void {
  let partial = ''
  stream?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts.filter(Boolean))
    lines.splice(0, Math.max(0, lines.length - max))
  })
}

/** A tracked child process that can be signalled, awaited and stopped. */
export abstract class ManagedChild {
  protected constructor(public readonly child: ChildProcess) {
    trackChild(child)
  }

  /** Sends a signal, e.g. SIGKILL, or SIGSTOP to freeze the process with its sockets open and SIGCONT to thaw it. */
  public signal(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  public exited(): Promise<ChildExit> {
    return exited(this.child)
  }

  /** Graceful stop (SIGTERM), SIGKILL after `graceMs`. */
  public stop(graceMs?: number): Promise<ChildExit> {
    return stopChild(this.child, graceMs)
  }
}
