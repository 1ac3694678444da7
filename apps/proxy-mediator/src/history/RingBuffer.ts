/**
 * The last `capacity` items pushed, oldest first: a fixed array written round, so that keeping an
 * hour of samples costs the same memory after a week as after an hour, and a push never copies.
 */
export class RingBuffer<T> {
  private readonly items: T[] = []
  /** Where the next push writes once the buffer is full: the oldest item's slot. */
  private next = 0

  public constructor(public readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a whole number ≥ 1, got ${capacity}`)
  }

  public get size(): number {
    return this.items.length
  }

  public push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item)
      return
    }
    this.items[this.next] = item
    this.next = (this.next + 1) % this.capacity
  }

  /** The newest item, or undefined while empty. */
  public last(): T | undefined {
    if (this.items.length === 0) return undefined
    return this.items[(this.next + this.items.length - 1) % this.items.length]
  }

  /** Every item, oldest first, as a new array. */
  public toArray(): T[] {
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)]
  }
}
