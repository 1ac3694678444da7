import { type ChildProcess, spawn } from 'node:child_process'
import { ManagedChild, keepLines } from './children'

export interface RunnerProcessOptions {
  /** Name in error messages. */
  name: string
  /** The runner's built CLI (a Node script). */
  cliPath: string
  args: string[]
  /** Base URL of its DIDComm listener, e.g. http://127.0.0.1:3000. */
  baseUrl: string
  /** Base URL of its admin listener, where the JSON routes are. @default baseUrl (one port) */
  adminUrl?: string
  /** A command that runs Node for it, e.g. `['ip', 'netns', 'exec', 'ns1']` to start it in a network namespace. */
  launcher?: string[]
  env?: Record<string, string | undefined>
  /** How many log lines (stdout) to keep. @default 20000 */
  maxLogLines?: number
  /** Sent as `x-api-key` on every request, for a runner started with --admin-api-key. */
  apiKey?: string
}

/**
 * The proxy runner (or any Node HTTP service that logs JSON lines on stdout) as a child
 * process: start it, read its JSON routes and its log, signal, stop or kill it.
 */
export class RunnerProcess extends ManagedChild {
  /** Every line the process wrote to stdout (its log), up to `maxLogLines`. */
  public readonly logLines: string[] = []
  /** The last lines it wrote to stderr. */
  public readonly stderr: string[] = []

  private constructor(
    public readonly options: RunnerProcessOptions,
    child: ChildProcess,
  ) {
    super(child)
    keepLines(child.stdout, this.logLines, options.maxLogLines ?? 20_000)
    keepLines(child.stderr, this.stderr, 40)
  }

  public static start(options: RunnerProcessOptions): RunnerProcess {
    const [command, ...prefix] = [...(options.launcher ?? []), process.execPath]
    const child = spawn(command, [...prefix, options.cliPath, ...options.args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return new RunnerProcess(options, child)
  }

  private get authorization(): Record<string, string> {
    return this.options.apiKey ? { 'x-api-key': this.options.apiKey } : {}
  }

  public get baseUrl(): string {
    return this.options.baseUrl
  }

  /** Where the admin routes, the page and /metrics are. */
  public get adminUrl(): string {
    return this.options.adminUrl ?? this.options.baseUrl
  }

  /** The log lines that are JSON objects, parsed. */
  public logEntries(): Array<Record<string, unknown>> {
    return this.logLines.flatMap((line) => {
      try {
        const entry = JSON.parse(line)
        return entry && typeof entry === 'object' ? [entry as Record<string, unknown>] : []
      } catch {
        return []
      }
    })
  }

  /** GET a JSON route of the admin listener; undefined when the process does not answer (yet) or answers non-JSON. */
  public async getJson<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T } | undefined> {
    try {
      const response = await fetch(`${this.adminUrl}${path}`, { headers: this.authorization })
      return { status: response.status, body: (await response.json()) as T }
    } catch {
      return undefined
    }
  }

  /** POST JSON to a route of the admin listener and return the status and the parsed JSON answer. */
  public async postJson<T = Record<string, unknown>>(
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.adminUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.authorization },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as T }
  }

  /**
   * Polls `GET path` until `accept` holds for its JSON answer (200 or not); rejects after
   * `timeoutMs` with the last answer, or at once if the process exits.
   */
  public async waitForJson<T = Record<string, unknown>>(
    path: string,
    accept: (body: T, status: number) => boolean,
    timeoutMs: number,
    what = `${path} to match`,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs
    let last: unknown
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.options.name} exited while waiting for ${what}: ${this.stderr.join('\n')}`)
      }
      const answer = await this.getJson<T>(path)
      last = answer
      if (answer && accept(answer.body, answer.status)) return answer.body
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(
      `${this.options.name}: timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`,
    )
  }
}
