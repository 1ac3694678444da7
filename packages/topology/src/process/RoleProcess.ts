import { type ChildProcess, fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ManagedChild, isRunning, keepLines } from './children'
import type { RoleMessage, RoleReady, RoleRequest } from './ipc'

/** The role entry files of this package; each runs one role in its own process. */
export type RoleName = 'externalMediatorRole' | 'edgeAgentRole' | 'senderRole'

/**
 * Path of a role's built entry file. Forking needs JavaScript, so from the sources (Jest maps
 * this package to src) it is the build's copy: run `yarn build` first.
 */
export function roleModulePath(role: RoleName): string {
  const builtRoles = __filename.endsWith('.ts')
    ? join(__dirname, '..', '..', 'build', 'process', 'roles')
    : join(__dirname, 'roles')
  const path = join(builtRoles, `${role}.js`)
  if (!existsSync(path)) throw new Error(`${path} does not exist; run \`yarn build\` first`)
  return path
}

/**
 * The orchestrator side of one role process: fork it, wait until it is ready, send it
 * commands and await the replies.
 */
export class RoleProcess extends ManagedChild {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  private readyMessage?: Promise<RoleReady>
  /** The last lines the role wrote to stderr. */
  public readonly stderr: string[] = []

  public constructor(
    public readonly name: string,
    child: ChildProcess,
  ) {
    super(child)
    keepLines(child.stderr, this.stderr, 40)
    child.on('message', (message: RoleMessage) => {
      if ('id' in message) {
        const waiter = this.pending.get(message.id)
        this.pending.delete(message.id)
        if (message.ok) waiter?.resolve(message.result)
        else waiter?.reject(new Error(`${name}: ${message.error}`))
      }
    })
    child.on('exit', (code, signal) => {
      for (const waiter of this.pending.values())
        waiter.reject(new Error(`${name} exited (${signal ?? code}): ${this.stderr.join('\n')}`))
      this.pending.clear()
    })
  }

  /**
   * Forks a role entry file (a path, or the name of one of this package's roles). `launcher` runs
   * Node through a command, e.g. `['ip', 'netns', 'exec', 'ns1']` for a network namespace: it execs
   * Node, which keeps the IPC channel.
   */
  public static start(
    name: string,
    module: RoleName | string,
    env: Record<string, string | undefined>,
    launcher: string[] = [],
  ): RoleProcess {
    const modulePath = module.includes('/') ? module : roleModulePath(module as RoleName)
    const [command, ...prefix] = launcher
    const child = fork(modulePath, [], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      ...(command ? { execPath: command, execArgv: [...prefix, process.execPath] } : {}),
    })
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
        reject(new Error(`${this.name} exited with ${code} before it was ready: ${this.stderr.join('\n')}`))
      })
    })
    return this.readyMessage
  }

  public request<T>(command: string, args?: unknown): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      if (!isRunning(this.child)) {
        reject(
          new Error(
            `${this.name} has exited (${this.child.signalCode ?? this.child.exitCode}): ${this.stderr.join('\n')}`,
          ),
        )
        return
      }
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.child.send({ id, command, args } satisfies RoleRequest, (error) => {
        if (!error) return
        this.pending.delete(id)
        reject(new Error(`${this.name}: ${command} could not be sent: ${error.message}`))
      })
    })
  }
}
