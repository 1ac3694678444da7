import { type AgentContext, injectable } from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import type { StorageStatus } from '../../models/ProxyMediatorStatus'
import { sideEffect } from '../../utils/sideEffect'

/** Why the store takes no writes, and since when. */
export interface StorageFailure {
  /** ms since the epoch */
  since: number
  /** In words, e.g. "storage full: SQLITE_FULL: database or disk is full". */
  reason: string
}

/**
 * Whether the proxy's store takes writes. A write that fails (a full disk) marks it failing; from
 * then on a probe tries a write every `storageProbeIntervalMs` until one succeeds. While it fails,
 * pickup that needs the store (implicit pickup, whose messages must be written before anything else
 * happens to them) is paused, and the proxy is not ready. Listeners hear of each change as it
 * happens; one that throws changes nothing here.
 */
@injectable()
export class StorageHealth {
  private current?: StorageFailure
  private probe?: () => Promise<void>
  private probeTimer?: NodeJS.Timeout
  private readonly listeners = new Set<() => void>()
  private readonly holdLimitListeners = new Set<() => void>()

  public constructor(private readonly config: ProxyMediatorModuleConfig) {}

  public get failure(): StorageFailure | undefined {
    return this.current
  }

  /** The write that tells whether the store works again: it throws while it does not. */
  public probeWith(probe: () => Promise<void>): void {
    this.probe = probe
  }

  public onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  public failed(agentContext: AgentContext, error: unknown): void {
    if (this.current) return
    this.current = { since: Date.now(), reason: describeStorageError(error) }
    sideEffect(() =>
      agentContext.config.logger.error(
        `The proxy's store takes no writes (${this.current?.reason}): implicit pickup is paused, messages already taken are relayed from memory, and forwards posted to the proxy get 503 until it does`,
      ),
    )
    this.notify()
    this.scheduleProbe(agentContext)
  }

  public succeeded(agentContext?: AgentContext): void {
    if (!this.current) return
    const { since } = this.current
    this.current = undefined
    clearTimeout(this.probeTimer)
    this.probeTimer = undefined
    sideEffect(() =>
      agentContext?.config.logger.info(
        `The proxy's store takes writes again, after ${Math.round((Date.now() - since) / 1000)} s; pickup resumes`,
      ),
    )
    this.notify()
  }

  /** As many forwards are held in memory as `maxHeldInMemory` allows: mediators still writing must stop. */
  public overHoldLimit(): void {
    for (const listener of this.holdLimitListeners) sideEffect(listener)
  }

  public onHoldLimit(listener: () => void): () => void {
    this.holdLimitListeners.add(listener)
    return () => this.holdLimitListeners.delete(listener)
  }

  public stop(): void {
    clearTimeout(this.probeTimer)
    this.probeTimer = undefined
  }

  private scheduleProbe(agentContext: AgentContext): void {
    if (this.probeTimer || !this.probe) return
    this.probeTimer = setTimeout(async () => {
      this.probeTimer = undefined
      try {
        await this.probe?.()
        this.succeeded(agentContext)
      } catch {
        if (this.current) this.scheduleProbe(agentContext)
      }
    }, this.config.storageProbeIntervalMs)
    this.probeTimer.unref()
  }

  private notify(): void {
    for (const listener of this.listeners) sideEffect(listener)
  }
}

/** A full disk in words; any other write failure as it came. */
export function describeStorageError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code
  const full = code === 'SQLITE_FULL' || code === 'ENOSPC' || /SQLITE_FULL|ENOSPC|disk is full/i.test(message)
  return `${full ? 'storage full' : 'storage failing'}: ${message}`
}

export function storageStatusOf(failure: StorageFailure | undefined): StorageStatus {
  return failure
    ? { writable: false, failingSince: new Date(failure.since).toISOString(), reason: failure.reason }
    : { writable: true }
}
