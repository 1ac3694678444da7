import { EventEmitter, InjectionSymbols, Repository, type StorageService, inject, injectable } from '@credo-ts/core'
import { OutboxRecord } from './OutboxRecord'

@injectable()
export class OutboxRepository extends Repository<OutboxRecord> {
  public constructor(
    @inject(InjectionSymbols.StorageService) storageService: StorageService<OutboxRecord>,
    eventEmitter: EventEmitter,
  ) {
    super(OutboxRecord, storageService, eventEmitter)
  }
}
