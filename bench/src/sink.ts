import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import type { SinkCount, SinkRequest } from './sinkProcess'

export type { SinkCount } from './sinkProcess'

/** The bench's handle on the sink process. */
export class Sink {
  private nextRequestId = 1
  private readonly waiting = new Map<number, (body: unknown) => void>()

  private constructor(
    private readonly child: ChildProcess,
    public readonly port: number,
  ) {
    child.on('message', (message: { requestId: number; body: unknown }) => {
      this.waiting.get(message.requestId)?.(message.body)
      this.waiting.delete(message.requestId)
    })
  }

  public static start(port: number): Promise<Sink> {
    const child = fork(join(__dirname, 'sinkProcess.js'), [String(port)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    return new Promise((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)))
      child.once('message', () => resolve(new Sink(child, port)))
    })
  }

  public get pid(): number {
    return this.child.pid ?? 0
  }

  public get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  private request<T>(request: SinkRequest): Promise<T> {
    const requestId = this.nextRequestId++
    return new Promise((resolve) => {
      this.waiting.set(requestId, (body) => resolve(body as T))
      this.child.send({ ...request, requestId })
    })
  }

  /** Starts counting a new run: only bodies carrying `runTag` count. */
  public reset(runTag: number): Promise<SinkCount> {
    return this.request({ type: 'reset', runTag })
  }

  public count(): Promise<SinkCount> {
    return this.request({ type: 'count' })
  }

  /** First-arrival time (monotonic ms) of each seq of the current run. */
  public async arrivals(): Promise<Map<number, number>> {
    return new Map(await this.request<[number, number][]>({ type: 'arrivals' }))
  }

  public async close(): Promise<void> {
    this.child.removeAllListeners('exit')
    await Promise.race([this.request({ type: 'close' }), new Promise((resolve) => setTimeout(resolve, 2000))])
    if (this.child.exitCode === null) this.child.kill()
  }
}
