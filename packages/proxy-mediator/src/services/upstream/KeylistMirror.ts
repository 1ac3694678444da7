import type { KeylistUpdateAction } from '@credo-ts/core'
import { KeylistUpdateRefusedError } from '../../errors/KeylistUpdateRefusedError'
import { sideEffect } from '../../utils/sideEffect'

export interface KeylistChange {
  /** An agent's key, base58. */
  key: string
  action: KeylistUpdateAction
}

/** An external mediator, as the mirror sees it (`UpstreamMediator`). */
export interface KeylistMirrorTarget {
  /** The mediator's connection id. */
  readonly id: string
  /** What it has not taken yet: the last action per key, so adding then removing a key leaves only the removal. */
  readonly pendingKeylist: Map<string, KeylistUpdateAction>
  /**
   * Sends the changes to that mediator, and throws unless it took every one: a
   * `KeylistUpdateRefusedError` when it answered and refused, anything else when it did not answer.
   */
  updateKeylist(changes: KeylistChange[]): Promise<void>
}

/**
 * In transparent mode, the agents' keylist changes, mirrored to every external mediator so that it
 * routes them to the proxy. A mediator that is down or does not answer in time keeps its changes
 * here, and they are sent again with its next change and whenever it is picked up from again. The
 * agent would not send them again itself, since the proxy's own keylist already has them. A
 * mediator that answered and refused a change is not asked again: it took the rest of that batch,
 * and would refuse the same change again.
 *
 * Pending changes live in memory, with each mediator: after a restart they are gone, as before.
 */
export class KeylistMirror {
  public constructor(
    private readonly onFailure: (target: KeylistMirrorTarget, error: Error, sentAgain: boolean) => void,
  ) {}

  /**
   * Sends `changes`, after whatever each mediator still lacks, to every target. One mediator that
   * fails does not keep the others from being updated. Resolves with the ids that failed.
   */
  public async mirror(targets: KeylistMirrorTarget[], changes: KeylistChange[]): Promise<string[]> {
    const failed: string[] = []
    for (const target of targets) {
      if (!(await this.send(target, changes))) failed.push(target.id)
    }
    return failed
  }

  /** Sends what this mediator still lacks, if anything: when it is picked up from again. */
  public async retry(target: KeylistMirrorTarget): Promise<boolean> {
    if (target.pendingKeylist.size === 0) return true
    return this.send(target, [])
  }

  private async send(target: KeylistMirrorTarget, changes: KeylistChange[]): Promise<boolean> {
    const pending = target.pendingKeylist
    const batch = new Map(pending)
    for (const { key, action } of changes) batch.set(key, action)
    if (batch.size === 0) return true
    // Taken before the await: a retry that starts meanwhile finds nothing to send twice.
    pending.clear()
    try {
      await target.updateKeylist([...batch].map(([key, action]) => ({ key, action })))
      return true
    } catch (error) {
      const sentAgain = !(error instanceof KeylistUpdateRefusedError)
      if (sentAgain) {
        // Changes made meanwhile are newer than this batch, so they win.
        const newer = [...pending]
        pending.clear()
        for (const [key, action] of [...batch, ...newer]) pending.set(key, action)
      }
      sideEffect(() => this.onFailure(target, error as Error, sentAgain))
      return false
    }
  }
}
