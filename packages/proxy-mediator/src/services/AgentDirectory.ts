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
import type { DownstreamAgentStatus } from '../models/ProxyMediatorStatus'
import { verkeyToDidKey } from '../utils/keys'

export interface DownstreamAgent {
  connectionId: string
  label?: string
  mediationState: MediationState
  endpoint?: string
  recipientKeys: Set<string>
  /** When the agent last answered a relay with 2xx (ms since the epoch); written by the relay. */
  lastDeliveryAt?: number
  /** Relay attempts to this agent that failed, since the process started; written by the relay. */
  failures: number
}

type MediationRecordEvent =
  | RecordSavedEvent<MediationRecord>
  | RecordUpdatedEvent<MediationRecord>
  | RecordDeletedEvent<MediationRecord>

/**
 * The proxy's routing table, in memory: which agent owns which recipient key, and where its
 * HTTP endpoint is. Credo would query storage and resolve the agent's DID on every forward;
 * here the table follows Credo's own repository events on mediation records, applied at the
 * moment the record is written, so a forward sent right after an agent's keylist update already
 * finds its key, whoever wrote the record.
 */
@injectable()
export class AgentDirectory {
  private readonly agentsByConnection = new Map<string, DownstreamAgent>()
  private readonly keyTable = new Map<string, DownstreamAgent>()
  /** The routing table itself: the relay reads it directly, a map look-up per forward and nothing more. */
  public readonly agentsByKey: ReadonlyMap<string, DownstreamAgent> = this.keyTable
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

  public list(): DownstreamAgentStatus[] {
    return [...this.agentsByConnection.values()].map((agent) => ({
      connectionId: agent.connectionId,
      label: agent.label,
      mediationState: agent.mediationState,
      keyCount: agent.recipientKeys.size,
      recipientKeys: [...agent.recipientKeys].map(verkeyToDidKey),
      endpoint: agent.endpoint,
      lastDeliveryAt: agent.lastDeliveryAt ? new Date(agent.lastDeliveryAt).toISOString() : undefined,
      failures: agent.failures,
    }))
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
        failures: 0,
      }
      this.agentsByConnection.set(connectionId, agent)
    }
    for (const key of agent.recipientKeys) this.keyTable.delete(key)
    agent.mediationState = record.state
    agent.recipientKeys = new Set(record.recipientKeys)
    this.connectionByRecordId.set(record.id, connectionId)
    if (record.state === MediationState.Granted) {
      for (const key of agent.recipientKeys) this.keyTable.set(key, agent)
    }
    // Until the endpoint is known a relay fails and is retried, never dropped; it is known long
    // before the first forward, which needs the agent's grant and keylist update first.
    if (isNew) void this.describe(agentContext, agent)
  }

  private forget(recordId: string): void {
    const connectionId = this.connectionByRecordId.get(recordId)
    if (!connectionId) return
    this.connectionByRecordId.delete(recordId)
    const agent = this.agentsByConnection.get(connectionId)
    for (const key of agent?.recipientKeys ?? []) this.keyTable.delete(key)
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
