import { type ChildProcess, fork } from 'node:child_process'
import type { RoleMessage, RoleReady, RoleRequest } from './ipc'

/**
 * The orchestrator side of one role process: fork it, wait until it is ready, send it
 * commands and await the replies.
 */
export class RoleProcess {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  private readyMessage?: Promise<RoleReady>

  public constructor(
    public readonly name: string,
    public readonly child: ChildProcess,
  ) {
    child.on('message', (message: RoleMessage) => {
      if ('id' in message) {
        const waiter = this.pending.get(message.id)
        this.pending.delete(message.id)
        if (message.ok) waiter?.resolve(message.result)
        else waiter?.reject(new Error(`${name}: ${message.error}`))
      }
    })
    child.on('exit', (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited (${signal ?? code})`))
      this.pending.clear()
    })
  }

  public static start(name: string, modulePath: string, env: Record<string, string>): RoleProcess {
    const child = fork(modulePath, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    return new RoleProcess(name, child)
  }

  public ready(timeoutMs: number): Promise<RoleReady> {
    this.readyMessage ??= new Promise<RoleReady>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start within ${timeoutMs} ms`)), timeoutMs)
      this.child.on('message', (message: RoleMessage) => {
        if ('ready' in message) {
          clearTimeout(timer)
          resolve(message)
        }
      })
      this.child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`${this.name} exited with ${code} before it was ready`))
      })
    })
    return this.readyMessage
  }

  public request<T>(command: string, args?: unknown): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.child.send({ id, command, args } satisfies RoleRequest)
    })
  }
}
