import { BaseRecord, utils } from '@credo-ts/core'

export interface DeadLetterRecordProps {
  reason: string
  recipientKey?: string
  envelope?: unknown
}

/**
 * A message the proxy acknowledged upstream but could not relay and never will by itself: an
 * envelope it cannot decrypt, a forward for a key no agent registered, a message the agent keeps
 * refusing. It is kept, still encrypted as it came, so that an operator can see what was lost and
 * why, and replay it by hand once the cause is fixed.
 */
export class DeadLetterRecord extends BaseRecord {
  public static override readonly type = 'ProxyMediatorDeadLetterRecord'
  public override readonly type = DeadLetterRecord.type

  public reason!: string
  public recipientKey?: string
  public envelope?: unknown

  public constructor(props?: DeadLetterRecordProps) {
    super()
    if (props) {
      this.id = utils.uuid()
      this.createdAt = new Date()
      this.reason = props.reason
      this.recipientKey = props.recipientKey
      this.envelope = props.envelope
    }
  }

  public getTags() {
    return { ...this._tags }
  }
}
