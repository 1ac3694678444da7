import {
  type AgentContext,
  EventEmitter,
  InjectionSymbols,
  Repository,
  type StorageService,
  inject,
  injectable,
} from '@credo-ts/core'
import { ProxyMediatorStateRecord } from './ProxyMediatorStateRecord'

@injectable()
export class ProxyMediatorStateRepository extends Repository<ProxyMediatorStateRecord> {
  public constructor(
    @inject(InjectionSymbols.StorageService) storageService: StorageService<ProxyMediatorStateRecord>,
    eventEmitter: EventEmitter,
  ) {
    super(ProxyMediatorStateRecord, storageService, eventEmitter)
  }

  public async getOrCreate(agentContext: AgentContext): Promise<ProxyMediatorStateRecord> {
    const existing = await this.findById(agentContext, ProxyMediatorStateRecord.singletonId)
    if (existing) return existing
    const record = new ProxyMediatorStateRecord({ id: ProxyMediatorStateRecord.singletonId })
    await this.save(agentContext, record)
    return record
  }
}
