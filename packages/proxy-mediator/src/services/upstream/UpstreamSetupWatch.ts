import { type AgentContext, ConnectionService, injectable } from '@credo-ts/core'

/** One set-up of an external mediator being watched: `failure` rejects with the first reason reported for it. */
export interface UpstreamSetupWatchHandle {
  /** Rejects with the reason the first time something fails on this connection (or has failed already). */
  failure(connectionId: string): Promise<never>
  end(): void
}

/**
 * Why a set-up of an external mediator failed, the moment it does. Credo reports a refused or
 * unreadable handshake answer, a problem report or a mediate-deny only in its log, and the set-up
 * would wait for its timeout; `upstreamSetupMiddleware` hands each such reason here, for the
 * connection it concerns, while a set-up runs. Outside a set-up, nothing is kept.
 */
@injectable()
export class UpstreamSetupWatch {
  private readonly reasons = new Map<string, string>()
  private readonly waiters = new Map<string, Set<(reason: string) => void>>()
  private running = 0

  public constructor(private readonly connectionService: ConnectionService) {}

  public get active(): boolean {
    return this.running > 0
  }

  public begin(): UpstreamSetupWatchHandle {
    this.running++
    let ended = false
    const mine: Array<[string, (reason: string) => void]> = []
    return {
      failure: (connectionId) =>
        new Promise<never>((_resolve, reject) => {
          const known = this.reasons.get(connectionId)
          if (known !== undefined) {
            reject(new Error(known))
            return
          }
          const wake = (reason: string) => reject(new Error(reason))
          mine.push([connectionId, wake])
          const waiting = this.waiters.get(connectionId) ?? new Set()
          waiting.add(wake)
          this.waiters.set(connectionId, waiting)
        }),
      end: () => {
        if (ended) return
        ended = true
        for (const [connectionId, wake] of mine) this.waiters.get(connectionId)?.delete(wake)
        if (--this.running === 0) {
          this.reasons.clear()
          this.waiters.clear()
        }
      },
    }
  }

  /**
   * Something failed on a message: attributed to its connection, or, for an answer that came before
   * Credo knew its connection (a DID exchange response), to the connection whose thread it is on.
   */
  public async report(
    agentContext: AgentContext,
    about: { connectionId?: string; threadId?: string },
    reason: string,
  ): Promise<void> {
    if (!this.active) return
    let { connectionId } = about
    if (!connectionId && about.threadId) {
      connectionId = await this.connectionService
        .getByThreadId(agentContext, about.threadId)
        .then((connection) => connection.id)
        .catch(() => undefined)
    }
    if (!connectionId || this.reasons.has(connectionId)) return
    this.reasons.set(connectionId, reason)
    for (const wake of this.waiters.get(connectionId) ?? []) wake(reason)
  }
}
