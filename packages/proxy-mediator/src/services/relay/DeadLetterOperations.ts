import type { AgentContext, EncryptedMessage } from '@credo-ts/core'
import { injectable } from '@credo-ts/core'
import { sideEffect } from '../../utils/sideEffect'
import { AgentDirectory } from './AgentDirectory'
import { type DeadLetterPage, type DeadLetterQuery, DeadLetterStore, type DeadLetterSummary } from './DeadLetterStore'
import { RelayPipeline } from './RelayPipeline'

/** Who asked for an action on dead letters, for the log: an operator's name, an address, a key's label. */
export interface DeadLetterActor {
  by?: string
}

export interface DeadLetterView extends DeadLetterSummary {
  /** The mediated agent that holds its key now, if any. */
  agentConnectionId?: string
}

export interface DeadLetterViewPage extends Omit<DeadLetterPage, 'deadLetters'> {
  deadLetters: DeadLetterView[]
}

/** What became of each dead letter an action was asked for. */
export interface DeadLetterReplayResult {
  /** Back in the outbox and relayed from there, at least once; no longer a dead letter. */
  replayed: string[]
  /** Still dead letters, each with why it could not be relayed again. */
  refused: { id: string; reason: string }[]
}

/**
 * What an operator does with dead letters, once the cause is fixed: relay one, or all of one
 * agent's, again through the same at-least-once pipeline (into the outbox, then to the agent), or
 * delete them. Every action is logged with who asked for it, since each one either sends a message
 * again or loses it for good.
 */
@injectable()
export class DeadLetterOperations {
  public constructor(
    private readonly store: DeadLetterStore,
    private readonly pipeline: RelayPipeline,
    private readonly directory: AgentDirectory,
  ) {}

  /** A page of summaries, newest first, each with the agent that holds its key now. Never the content. */
  public async page(agentContext: AgentContext, query?: DeadLetterQuery): Promise<DeadLetterViewPage> {
    const page = await this.store.page(agentContext, query)
    return {
      ...page,
      deadLetters: page.deadLetters.map((summary) => ({
        ...summary,
        agentConnectionId: summary.recipientKey
          ? this.directory.ownerOf(summary.recipientKey)?.connectionId
          : undefined,
      })),
    }
  }

  /** Relays these dead letters again; each one accepted into the outbox stops being a dead letter. */
  public async replay(
    agentContext: AgentContext,
    ids: readonly string[],
    actor: DeadLetterActor = {},
  ): Promise<DeadLetterReplayResult> {
    const result: DeadLetterReplayResult = { replayed: [], refused: [] }
    for (const id of ids) {
      const reason = await this.replayOne(agentContext, id)
      if (reason) result.refused.push({ id, reason })
      else result.replayed.push(id)
    }
    await this.store.remove(agentContext, result.replayed)
    this.log(
      agentContext,
      actor,
      `relayed again ${result.replayed.length} dead letters`,
      result.replayed,
      result.refused,
    )
    return result
  }

  /** Relays again every dead letter for a key of this agent. */
  public async replayAgent(
    agentContext: AgentContext,
    connectionId: string,
    actor: DeadLetterActor = {},
  ): Promise<DeadLetterReplayResult> {
    return this.replay(agentContext, await this.idsOfAgent(agentContext, connectionId), actor)
  }

  /** Deletes these dead letters for good; resolves with how many there were. */
  public async delete(
    agentContext: AgentContext,
    ids: readonly string[],
    actor: DeadLetterActor = {},
  ): Promise<number> {
    const deleted = await this.store.remove(agentContext, ids)
    this.log(agentContext, actor, `deleted ${deleted} dead letters`, ids)
    return deleted
  }

  /** Deletes every dead letter for a key of this agent, or every one without `connectionId`. */
  public async deleteAll(agentContext: AgentContext, connectionId?: string, actor: DeadLetterActor = {}) {
    const ids =
      connectionId === undefined
        ? await this.store.idsFor(agentContext)
        : await this.idsOfAgent(agentContext, connectionId)
    return this.delete(agentContext, ids, actor)
  }

  /** Undefined once accepted into the outbox; else why not. */
  private async replayOne(agentContext: AgentContext, id: string): Promise<string | undefined> {
    const deadLetter = await this.store.get(agentContext, id)
    if (!deadLetter) return 'no dead letter has this id (deleted, or pruned as the oldest)'
    if (deadLetter.envelope === undefined) {
      return `its envelope (${deadLetter.envelopeBytes ?? '?'} bytes) was larger than the proxy keeps whole: only its size and digest are left`
    }
    // A forward that was read is kept as the agent's envelope; anything else as it came, for the proxy.
    const submission = deadLetter.recipientKey
      ? await this.pipeline.resubmit(agentContext, {
          recipientKey: deadLetter.recipientKey,
          envelope: deadLetter.envelope as EncryptedMessage,
        })
      : await this.pipeline.submit(agentContext, { encrypted: deadLetter.envelope }, { kind: 'posted' })
    return submission.kind === 'refused' ? submission.reason : undefined
  }

  private async idsOfAgent(agentContext: AgentContext, connectionId: string): Promise<string[]> {
    const agent = this.directory.agentOf(connectionId)
    if (!agent) return []
    return this.store.idsFor(agentContext, agent.recipientKeys)
  }

  private log(
    agentContext: AgentContext,
    actor: DeadLetterActor,
    what: string,
    ids: readonly string[],
    refused: DeadLetterReplayResult['refused'] = [],
  ): void {
    sideEffect(() =>
      agentContext.config.logger.info(`Dead letters: ${actor.by ?? 'an unnamed caller'} ${what}`, {
        ids,
        ...(refused.length > 0 ? { refused } : {}),
      }),
    )
  }
}
