import { BaseRecord, utils } from '@credo-ts/core'

/**
 * Written and deleted at once to learn whether the store takes writes again after it failed (a full
 * disk). A record of its own, so that a crash between the two leaves nothing anybody reads.
 */
export class StorageProbeRecord extends BaseRecord {
  public static override readonly type = 'ProxyMediatorStorageProbeRecord'
  public override readonly type = StorageProbeRecord.type

  public constructor() {
    super()
    this.id = utils.uuid()
    this.createdAt = new Date()
  }

  public getTags() {
    return { ...this._tags }
  }
}
