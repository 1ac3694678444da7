import {
  type AgentContext,
  type ConnectionRecord,
  ConnectionService,
  type InboundMessageContext,
  KeylistUpdateAction,
  KeylistUpdateMessage,
  KeylistUpdateResponseMessage,
  KeylistUpdateResult,
  KeylistUpdated,
  MediationRepository,
  MediationRole,
  MediationState,
  ProblemReportError,
  TypedArrayEncoder,
  injectable,
} from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { AgentKeyRecord } from '../../repository/AgentKeyRecord'
import { AgentKeyRepository } from '../../repository/AgentKeyRepository'
import { toVerkey } from '../../utils/keys'
import { AgentDirectory } from '../relay/AgentDirectory'

/** Where Credo records per connection whether the agent writes keys as did:key (`ConnectionMetadataKeys`, not exported). */
export const USE_DID_KEYS_METADATA = '_internal/useDidKeysForProtocol'
/** Writes, and keys read, between two turns of the event loop: a keylist of thousands must not hold /health up. */
const WRITES_PER_TURN = 64
const KEYS_READ_PER_TURN = 256

/** What one keylist-update did: the answer to the agent, and the keys that changed. */
export interface KeylistChange {
  response: KeylistUpdateResponseMessage
  added: string[]
  removed: string[]
}

/**
 * The mediated agents' keylists, kept as an index: a record per key in the store, a map in memory
 * (`AgentDirectory`). An update costs a write per key it changes, whatever the keylist's length;
 * Credo's own handling rewrites the agent's whole mediation record, every key of it a tag, on each
 * update (quadratic: 40,000 keys took 528 s, the last 2,000 of them 84 s).
 *
 * An agent holds at most `maxKeysPerAgent` keys, and a key belongs to one agent: a key another agent
 * registered is refused (`client_error`), where Credo would route it to whichever wrote last.
 */
@injectable()
export class AgentKeylists {
  /** One update at a time, across agents: a key is checked and taken in one step. */
  private updates: Promise<unknown> = Promise.resolve()

  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly directory: AgentDirectory,
    private readonly repository: AgentKeyRepository,
    private readonly mediationRepository: MediationRepository,
    private readonly connectionService: ConnectionService,
  ) {}

  /**
   * At start, once the directory knows the agents: every key of the index. Keys Credo kept in a
   * mediation record (before there was an index) move to it, once; keys of an agent whose mediation
   * is gone are deleted.
   */
  public async load(agentContext: AgentContext): Promise<void> {
    const byConnection = new Map<string, string[]>()
    for (const record of await this.repository.getAll(agentContext)) {
      const keys = byConnection.get(record.connectionId) ?? []
      keys.push(record.recipientKey)
      byConnection.set(record.connectionId, keys)
    }
    for (const [connectionId, keys] of byConnection) {
      const agent = this.directory.agentOf(connectionId)
      if (agent) this.directory.addKeys(agent, keys)
      else
        await this.writeInTurns(keys, (key) =>
          this.repository.deleteById(agentContext, AgentKeyRecord.idOf(connectionId, key)),
        )
    }
    const records = await this.mediationRepository.findByQuery(agentContext, { role: MediationRole.Mediator })
    for (const record of records.filter((candidate) => candidate.recipientKeys.length > 0)) {
      const indexed = new Set(byConnection.get(record.connectionId))
      const keys = [...new Set(record.recipientKeys)].filter((key) => !indexed.has(key))
      await this.writeInTurns(keys, (recipientKey) =>
        this.repository.save(agentContext, new AgentKeyRecord({ connectionId: record.connectionId, recipientKey })),
      )
      record.recipientKeys = []
      await this.mediationRepository.update(agentContext, record)
      agentContext.config.logger.info(`Moved ${keys.length} keys of agent ${record.connectionId} to the keylist index`)
    }
  }

  /** Applies an agent's keylist-update; refused whole with a problem report when it cannot be taken. */
  public update(messageContext: InboundMessageContext<KeylistUpdateMessage>): Promise<KeylistChange> {
    const run = this.updates.then(() => this.applyUpdate(messageContext))
    this.updates = run.catch(() => undefined)
    return run
  }

  private async applyUpdate(messageContext: InboundMessageContext<KeylistUpdateMessage>): Promise<KeylistChange> {
    const { agentContext, message } = messageContext
    const connection = messageContext.assertReadyConnection()
    const agent = this.directory.agentOf(connection.id)
    if (!agent || agent.mediationState !== MediationState.Granted) {
      throw new ProblemReportError(
        'keylist-update refused: no mediation is granted on this connection; send a mediate-request first',
        { problemCode: 'request_not_accepted' },
      )
    }
    // Each key read once (a did:key is decoded), a turn of the event loop at a time.
    const verkeys: Array<string | undefined> = []
    for (const update of message.updates) {
      verkeys.push(ed25519Verkey(update.recipientKey))
      if (verkeys.length % KEYS_READ_PER_TURN === 0) await nextTurn()
    }
    const invalid = message.updates.filter((_update, index) => verkeys[index] === undefined)
    if (invalid.length > 0) {
      throw new ProblemReportError(
        `keylist-update refused: ${invalid
          .slice(0, 5)
          .map(({ recipientKey }) => `'${String(recipientKey).slice(0, 100)}'`)
          .join(', ')} is not an Ed25519 key (raw base58 or did:key)`,
        { problemCode: 'request_not_accepted' },
      )
    }

    // Each update in order, against the keylist as the earlier ones left it.
    const added = new Set<string>()
    const removed = new Set<string>()
    const holds = (key: string) => added.has(key) || (!removed.has(key) && agent.recipientKeys.has(key))
    const results = message.updates.map((update, index) => {
      const key = verkeys[index] as string
      let result: KeylistUpdateResult
      if (update.action === KeylistUpdateAction.add) {
        const owner = this.directory.ownerOf(key)
        if (owner && owner !== agent) result = KeylistUpdateResult.ClientError
        else {
          // Registering a key already held succeeds again, as it does with Credo.
          if (!holds(key)) {
            if (removed.has(key)) removed.delete(key)
            else added.add(key)
          }
          result = KeylistUpdateResult.Success
        }
      } else if (holds(key)) {
        if (added.has(key)) added.delete(key)
        else removed.add(key)
        result = KeylistUpdateResult.Success
      } else result = KeylistUpdateResult.NoChange
      return new KeylistUpdated({ action: update.action, recipientKey: update.recipientKey, result })
    })

    const count = agent.recipientKeys.size + added.size - removed.size
    if (added.size > 0 && count > this.config.maxKeysPerAgent) {
      throw new ProblemReportError(
        `keylist-update refused: the agent would hold ${count} keys; at most ${this.config.maxKeysPerAgent} are kept per agent. Remove keys it no longer uses first.`,
        { problemCode: 'request_not_accepted' },
      )
    }

    await this.writeInTurns(removed, (key) =>
      this.repository.deleteById(agentContext, AgentKeyRecord.idOf(connection.id, key)),
    )
    await this.writeInTurns(added, (recipientKey) =>
      this.repository.save(agentContext, new AgentKeyRecord({ connectionId: connection.id, recipientKey })),
    )
    // Before the agent's answer goes out, so that a sender using a new key right away is routed.
    this.directory.removeKeys(agent, removed)
    this.directory.addKeys(agent, added)
    await this.noteKeyFormat(agentContext, connection, message)
    return {
      response: new KeylistUpdateResponseMessage({ keylist: results, threadId: message.threadId }),
      added: [...added],
      removed: [...removed],
    }
  }

  /** Credo answers in the key format the agent last used (keylist-query too): it is recorded as Credo does, when it changes. */
  private async noteKeyFormat(
    agentContext: AgentContext,
    connection: ConnectionRecord,
    message: KeylistUpdateMessage,
  ): Promise<void> {
    const usesDidKey = message.updates.some((update) => update.recipientKey.startsWith('did:key:'))
    const flags = connection.metadata.get<Record<string, boolean>>(USE_DID_KEYS_METADATA) ?? {}
    const { protocolUri } = KeylistUpdateMessage.type
    if (flags[protocolUri] === usesDidKey) return
    connection.metadata.set(USE_DID_KEYS_METADATA, { ...flags, [protocolUri]: usesDidKey })
    await this.connectionService.update(agentContext, connection)
  }

  private async writeInTurns(keys: Iterable<string>, write: (key: string) => Promise<void>): Promise<void> {
    let written = 0
    for (const key of keys) {
      await write(key)
      if (++written % WRITES_PER_TURN === 0) await nextTurn()
    }
  }
}

/** The key as base58, when it is an Ed25519 key (raw base58 or did:key). */
function ed25519Verkey(key: unknown): string | undefined {
  if (typeof key !== 'string') return undefined
  try {
    const verkey = toVerkey(key)
    return TypedArrayEncoder.fromBase58(verkey).length === 32 ? verkey : undefined
  } catch {
    return undefined
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
