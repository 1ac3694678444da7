/** Limits how many async tasks run at once; the rest wait in FIFO order. */
export class Semaphore {
  private running = 0
  private readonly waiting: Array<() => void> = []

  public constructor(private readonly limit: number) {}

  public get pending(): number {
    return this.waiting.length
  }

  public async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.running++
    try {
      return await task()
    } finally {
      this.running--
      this.waiting.shift()?.()
    }
  }
}
