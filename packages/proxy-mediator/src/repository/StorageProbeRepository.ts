import { EventEmitter, InjectionSymbols, Repository, type StorageService, inject, injectable } from '@credo-ts/core'
import { StorageProbeRecord } from './StorageProbeRecord'

@injectable()
export class StorageProbeRepository extends Repository<StorageProbeRecord> {
  public constructor(
    @inject(InjectionSymbols.StorageService) storageService: StorageService<StorageProbeRecord>,
    eventEmitter: EventEmitter,
  ) {
    super(StorageProbeRecord, storageService, eventEmitter)
  }
}
