import {
  type AgentContext,
  ConnectionService,
  DidsApi,
  MediationRepository,
  MediationRole,
  MediationState,
  injectable,
} from '@credo-ts/core'
import type { DownstreamAgentStatus } from '../models/ProxyMediatorStatus'
import { Semaphore } from '../utils/Semaphore'

export interface DownstreamAgent {
  connectionId: string
  label?: string
  mediationState: MediationState
  endpoint?: string
  recipientKeys: Set<string>
  /** Bounds the relays in flight to this agent, so a slow agent queues its own messages only. */
  relaySlots: Semaphore
}

/**
 * The proxy's routing table, in memory: which agent owns which recipient key, and where its
 * HTTP endpoint is. Credo would query storage and resolve the agent's DID on every forward;
 * here that happens once per keylist change, and the forward path is a map lookup.
 */
@injectable()
export class AgentDirectory {
  private readonly agentsByConnection = new Map<string, DownstreamAgent>()
  private readonly agentsByKey = new Map<string, DownstreamAgent>()
  private relayConcurrency = 16

  public constructor(
    private readonly mediationRepository: MediationRepository,
    private readonly connectionService: ConnectionService,
  ) {}

  public setRelayConcurrency(limit: number) {
    this.relayConcurrency = limit
  }

  public async load(agentContext: AgentContext): Promise<void> {
    const records = await this.mediationRepository.findByQuery(agentContext, { role: MediationRole.Mediator })
    for (const record of records) await this.refresh(agentContext, record.connectionId)
  }

  /** Re-reads one agent's mediation record, keys and endpoint. */
  public async refresh(agentContext: AgentContext, connectionId: string): Promise<DownstreamAgent | undefined> {
    const record = await this.mediationRepository.findSingleByQuery(agentContext, {
      connectionId,
      role: MediationRole.Mediator,
    })
    const previous = this.agentsByConnection.get(connectionId)
    for (const key of previous?.recipientKeys ?? []) this.agentsByKey.delete(key)
    if (!record) {
      this.agentsByConnection.delete(connectionId)
      return undefined
    }
    const connection = await this.connectionService.findById(agentContext, connectionId)
    const agent: DownstreamAgent = {
      connectionId,
      label: connection?.theirLabel,
      mediationState: record.state,
      endpoint:
        previous?.endpoint ?? (connection?.theirDid && (await this.httpEndpointOf(agentContext, connection.theirDid))),
      recipientKeys: new Set(record.recipientKeys),
      relaySlots: previous?.relaySlots ?? new Semaphore(this.relayConcurrency),
    }
    this.agentsByConnection.set(connectionId, agent)
    if (record.state === MediationState.Granted) {
      for (const key of agent.recipientKeys) this.agentsByKey.set(key, agent)
    }
    return agent
  }

  public findByRecipientKey(verkey: string): DownstreamAgent | undefined {
    return this.agentsByKey.get(verkey)
  }

  public list(): DownstreamAgentStatus[] {
    return [...this.agentsByConnection.values()].map((agent) => ({
      connectionId: agent.connectionId,
      label: agent.label,
      mediationState: agent.mediationState,
      keyCount: agent.recipientKeys.size,
      endpoint: agent.endpoint,
    }))
  }

  private async httpEndpointOf(agentContext: AgentContext, did: string): Promise<string | undefined> {
    try {
      const didDocument = await agentContext.dependencyManager.resolve(DidsApi).resolveDidDocument(did)
      const service = didDocument.didCommServices.find((candidate) => /^https?:/.test(candidate.serviceEndpoint))
      return service?.serviceEndpoint
    } catch (error) {
      agentContext.config.logger.warn(`Cannot resolve the DID document of agent ${did}`, { error })
      return undefined
    }
  }
}
