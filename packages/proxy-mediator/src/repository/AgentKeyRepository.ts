import { EventEmitter, InjectionSymbols, Repository, type StorageService, inject, injectable } from '@credo-ts/core'
import { AgentKeyRecord } from './AgentKeyRecord'

@injectable()
export class AgentKeyRepository extends Repository<AgentKeyRecord> {
  public constructor(
    @inject(InjectionSymbols.StorageService) storageService: StorageService<AgentKeyRecord>,
    eventEmitter: EventEmitter,
  ) {
    super(AgentKeyRecord, storageService, eventEmitter)
  }
}
