import { EventEmitter, InjectionSymbols, Repository, type StorageService, inject, injectable } from '@credo-ts/core'
import { DeadLetterRecord } from './DeadLetterRecord'

@injectable()
export class DeadLetterRepository extends Repository<DeadLetterRecord> {
  public constructor(
    @inject(InjectionSymbols.StorageService) storageService: StorageService<DeadLetterRecord>,
    eventEmitter: EventEmitter,
  ) {
    super(DeadLetterRecord, storageService, eventEmitter)
  }
}
