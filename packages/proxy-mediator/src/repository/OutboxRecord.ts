import { BaseRecord, type EncryptedMessage, utils } from '@credo-ts/core'

export interface OutboxRecordProps {
  id?: string
  recipientKey: string
  envelope: EncryptedMessage
}

/**
 * A forward taken from the external mediator by implicit pickup, which has no acknowledgement:
 * once the mediator has sent it, the proxy is the only one holding it. It is written before
 * the relay and deleted after the agent's 2xx, so a crash in between loses nothing.
 */
export class OutboxRecord extends BaseRecord<{ recipientKey: string }> {
  public static override readonly type = 'ProxyMediatorOutboxRecord'
  public override readonly type = OutboxRecord.type

  public recipientKey!: string
  public envelope!: EncryptedMessage

  public constructor(props?: OutboxRecordProps) {
    super()
    if (props) {
      this.id = props.id ?? utils.uuid()
      this.createdAt = new Date()
      this.recipientKey = props.recipientKey
      this.envelope = props.envelope
    }
  }

  public getTags() {
    return { ...this._tags, recipientKey: this.recipientKey }
  }
}
