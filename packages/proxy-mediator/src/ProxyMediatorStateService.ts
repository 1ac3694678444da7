import { type AgentContext, MediatorService, injectable } from '@credo-ts/core'
import type { ProxyMediatorStateRecord } from './repository/ProxyMediatorStateRecord'
import { ProxyMediatorStateRepository } from './repository/ProxyMediatorStateRepository'

/** Keeps the proxy's state record in memory, so that the forward path never reads it from storage. */
@injectable()
export class ProxyMediatorStateService {
  private record?: ProxyMediatorStateRecord
  private routingKey?: string

  public constructor(
    private readonly repository: ProxyMediatorStateRepository,
    private readonly mediatorService: MediatorService,
  ) {}

  /**
   * The proxy's routing key (base58): the key of Credo's mediator routing record, which senders
   * wrap the agent's forward for. It never changes, so it is read from storage once.
   */
  public async proxyRoutingKey(agentContext: AgentContext): Promise<string> {
    if (this.routingKey) return this.routingKey
    const record =
      (await this.mediatorService.findMediatorRoutingRecord(agentContext)) ??
      (await this.mediatorService.createMediatorRoutingRecord(agentContext))
    if (!record) throw new Error('The mediator routing record could not be created')
    this.routingKey = record.routingKeys[0]
    return this.routingKey
  }

  /** The routing key once `proxyRoutingKey` read it: for the paths that must not wait (a frame's check, a status). */
  public get knownRoutingKey(): string | undefined {
    return this.routingKey
  }

  public async load(agentContext: AgentContext): Promise<ProxyMediatorStateRecord> {
    this.record = await this.repository.getOrCreate(agentContext)
    return this.record
  }

  /** The state as last loaded or saved; undefined before `load`. */
  public get current(): ProxyMediatorStateRecord | undefined {
    return this.record
  }

  public async update(
    agentContext: AgentContext,
    change: Partial<
      Pick<
        ProxyMediatorStateRecord,
        'mediators' | 'agentInvitationOutOfBandId' | 'agentInvitationUrl' | 'agentInvitationShape'
      >
    >,
  ): Promise<ProxyMediatorStateRecord> {
    const record = this.record ?? (await this.load(agentContext))
    Object.assign(record, change)
    await this.repository.update(agentContext, record)
    return record
  }
}
