import {
  type AgentContext,
  ConnectionService,
  DidsApi,
  EventEmitter,
  MediationRecord,
  MediationRepository,
  MediationRole,
  MediationState,
  type RecordDeletedEvent,
  type RecordSavedEvent,
  type RecordUpdatedEvent,
  RepositoryEventTypes,
  injectable,
} from '@credo-ts/core'
import type { DownstreamAgentStatus } from '../../models/ProxyMediatorStatus'
import { verkeyToDidKey } from '../../utils/keys'
import { pageOf } from '../../utils/pageOf'

export interface DownstreamAgent {
  connectionId: string
  label?: string
  mediationState: MediationState
  endpoint?: string
  recipientKeys: Set<string>
  /** When the agent last answered a relay with 2xx (ms since the epoch); written by the relay. */
  lastDeliveryAt?: number
  /** Relay attempts to this agent that failed, since the process started; written by the relay. */
  failedAttempts: number
  /** Since when its relays fail (ms since the epoch), until one succeeds; written by the relay. */
  failingSince?: number
  /** Why its last relay failed, in words; written by the relay. */
  lastError?: string
  /** When each message for it that is taken and not yet settled was taken; written by the relay. */
  pending: Set<{ since: number }>
}

type MediationRecordEvent =
  | RecordSavedEvent<MediationRecord>
  | RecordUpdatedEvent<MediationRecord>
  | RecordDeletedEvent<MediationRecord>

/** How many of an agent's keys its status lists (all are counted): a status a second must not cost the whole keylist. */
const KEYS_LISTED_IN_STATUS = 100

/**
 * The proxy's routing table, in memory: which agent owns which recipient key, and where its
 * HTTP endpoint is. Credo would query storage and resolve the agent's DID on every forward;
 * here the agents follow Credo's own repository events on mediation records, applied at the
 * moment the record is written, and their keys come from the keylist index (`AgentKeylists`),
 * key by key, before the agent is answered: a forward sent right after an agent's keylist update
 * already finds its key. Only the keys of a granted mediation are routed.
 */
@injectable()
export class AgentDirectory {
  private readonly agentsByConnection = new Map<string, DownstreamAgent>()
  private readonly keyTable = new Map<string, DownstreamAgent>()
  /** The routing table itself: the relay reads it directly, a map look-up per forward and nothing more. */
  public readonly agentsByKey: ReadonlyMap<string, DownstreamAgent> = this.keyTable
  /** Every registered key and its agent, routed or not: a key belongs to one agent at a time. */
  private readonly owners = new Map<string, DownstreamAgent>()
  private readonly connectionByRecordId = new Map<string, string>()
  private listener?: (event: MediationRecordEvent) => void

  public constructor(
    private readonly mediationRepository: MediationRepository,
    private readonly connectionService: ConnectionService,
    private readonly eventEmitter: EventEmitter,
  ) {}

  /** Reads every agent once, then follows the repository events. */
  public async load(agentContext: AgentContext): Promise<void> {
    this.watch(agentContext)
    const records = await this.mediationRepository.findByQuery(agentContext, { role: MediationRole.Mediator })
    for (const record of records) this.apply(agentContext, record)
  }

  public stop(): void {
    if (!this.listener) return
    for (const type of Object.values(RepositoryEventTypes)) this.eventEmitter.off(type, this.listener)
    this.listener = undefined
  }

  public list(failingAfterMs: number, now = Date.now()): DownstreamAgentStatus[] {
    return [...this.agentsByConnection.values()].map((agent) => ({
      connectionId: agent.connectionId,
      label: agent.label,
      mediationState: agent.mediationState,
      keyCount: agent.recipientKeys.size,
      recipientKeys: pageOf(agent.recipientKeys, 0, KEYS_LISTED_IN_STATUS).map(verkeyToDidKey),
      endpoint: agent.endpoint,
      lastDeliveryAt: agent.lastDeliveryAt ? new Date(agent.lastDeliveryAt).toISOString() : undefined,
      ...healthOf(agent, failingAfterMs, now),
    }))
  }

  /** The agents whose relays have failed for at least `failingAfterMs` with none succeeding. */
  public failingAgents(failingAfterMs: number, now = Date.now()): DownstreamAgent[] {
    return [...this.agentsByConnection.values()].filter((agent) => isFailing(agent, failingAfterMs, now))
  }

  /** When the next agent that fails now becomes `failing`, if one does. */
  public nextFailingAt(failingAfterMs: number, now = Date.now()): number | undefined {
    let next: number | undefined
    for (const { failingSince } of this.agentsByConnection.values()) {
      if (failingSince === undefined || failingSince + failingAfterMs <= now) continue
      next = Math.min(next ?? Number.POSITIVE_INFINITY, failingSince + failingAfterMs)
    }
    return next
  }

  private watch(agentContext: AgentContext): void {
    if (this.listener) return
    this.listener = (event) => {
      const { record } = event.payload
      if (record.type !== MediationRecord.type) return
      if (event.type === RepositoryEventTypes.RecordDeleted) this.forget(record.id)
      else if ((record as MediationRecord).role === MediationRole.Mediator)
        this.apply(agentContext, record as MediationRecord)
    }
    for (const type of Object.values(RepositoryEventTypes)) this.eventEmitter.on(type, this.listener)
  }

  /** The agent of this connection, once its mediation record was seen. */
  public agentOf(connectionId: string): DownstreamAgent | undefined {
    return this.agentsByConnection.get(connectionId)
  }

  /** The agent that registered this key (base58), routed or not. */
  public ownerOf(key: string): DownstreamAgent | undefined {
    return this.owners.get(key)
  }

  /** Keys the agent registered; routed at once while its mediation is granted. */
  public addKeys(agent: DownstreamAgent, keys: Iterable<string>): void {
    const routed = agent.mediationState === MediationState.Granted
    for (const key of keys) {
      agent.recipientKeys.add(key)
      this.owners.set(key, agent)
      if (routed) this.keyTable.set(key, agent)
    }
  }

  public removeKeys(agent: DownstreamAgent, keys: Iterable<string>): void {
    for (const key of keys) {
      agent.recipientKeys.delete(key)
      if (this.owners.get(key) === agent) this.owners.delete(key)
      if (this.keyTable.get(key) === agent) this.keyTable.delete(key)
    }
  }

  /** Synchronous, so the table is current before the code that wrote the record goes on. */
  private apply(agentContext: AgentContext, record: MediationRecord): void {
    const { connectionId } = record
    let agent = this.agentsByConnection.get(connectionId)
    const isNew = !agent
    if (!agent) {
      agent = {
        connectionId,
        mediationState: record.state,
        recipientKeys: new Set(),
        failedAttempts: 0,
        pending: new Set(),
      }
      this.agentsByConnection.set(connectionId, agent)
    }
    this.connectionByRecordId.set(record.id, connectionId)
    const wasRouted = !isNew && agent.mediationState === MediationState.Granted
    agent.mediationState = record.state
    const routed = record.state === MediationState.Granted
    // Only a change of state touches every key: an update of the record (a thread id) touches none.
    if (routed !== wasRouted) {
      for (const key of agent.recipientKeys) {
        if (routed) this.keyTable.set(key, agent)
        else if (this.keyTable.get(key) === agent) this.keyTable.delete(key)
      }
    }
    // Keys Credo wrote into the record itself (before the keylist index, which takes them over at start).
    const legacy = record.recipientKeys.filter((key) => !agent.recipientKeys.has(key))
    if (legacy.length > 0) this.addKeys(agent, legacy)
    // Until the endpoint is known a relay fails and is retried, never dropped; it is known long
    // before the first forward, which needs the agent's grant and keylist update first.
    if (isNew) void this.describe(agentContext, agent)
  }

  private forget(recordId: string): void {
    const connectionId = this.connectionByRecordId.get(recordId)
    if (!connectionId) return
    this.connectionByRecordId.delete(recordId)
    const agent = this.agentsByConnection.get(connectionId)
    if (agent) this.removeKeys(agent, [...agent.recipientKeys])
    this.agentsByConnection.delete(connectionId)
  }

  /** The label and HTTP endpoint of an agent seen for the first time. */
  private async describe(agentContext: AgentContext, agent: DownstreamAgent): Promise<void> {
    try {
      const connection = await this.connectionService.findById(agentContext, agent.connectionId)
      agent.label = connection?.theirLabel
      if (!connection?.theirDid) return
      const didDocument = await agentContext.dependencyManager.resolve(DidsApi).resolveDidDocument(connection.theirDid)
      const service = didDocument.didCommServices.find((candidate) => /^https?:/.test(candidate.serviceEndpoint))
      agent.endpoint = service?.serviceEndpoint
    } catch (error) {
      agentContext.config.logger.warn(`Cannot resolve the DID document of agent ${agent.connectionId}`, { error })
    }
  }
}

function isFailing(agent: DownstreamAgent, failingAfterMs: number, now: number): boolean {
  return agent.failingSince !== undefined && now - agent.failingSince >= failingAfterMs
}

function healthOf(agent: DownstreamAgent, failingAfterMs: number, now: number) {
  let oldest: number | undefined
  for (const { since } of agent.pending) oldest = Math.min(oldest ?? since, since)
  return {
    state: isFailing(agent, failingAfterMs, now) ? ('failing' as const) : ('ok' as const),
    failingSince: agent.failingSince === undefined ? undefined : new Date(agent.failingSince).toISOString(),
    lastError: agent.lastError,
    backlog: agent.pending.size,
    oldestUndeliveredMs: oldest === undefined ? undefined : now - oldest,
    failedAttempts: agent.failedAttempts,
  }
}
