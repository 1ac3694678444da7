import { BaseRecord, utils } from '@credo-ts/core'

export interface DeadLetterRecordProps {
  reason: string
  recipientKey?: string
  /** The envelope as it came, when it is no larger than the store keeps whole. */
  envelope?: unknown
  /** The size of the envelope as it came (bytes of its JSON), kept whole or not. */
  envelopeBytes?: number
  /** SHA-256 of the envelope's JSON (base64url), for an envelope too large to keep whole. */
  envelopeDigest?: string
}

/**
 * A message the proxy acknowledged upstream but could not relay and never will by itself: an
 * envelope it cannot decrypt, a forward for a key no agent registered, a message the agent keeps
 * refusing. It is kept, still encrypted as it came, so that an operator can see what was lost and
 * why, and replay it by hand once the cause is fixed; one too large to keep whole is kept as its
 * size and digest.
 */
export class DeadLetterRecord extends BaseRecord {
  public static override readonly type = 'ProxyMediatorDeadLetterRecord'
  public override readonly type = DeadLetterRecord.type

  public reason!: string
  public recipientKey?: string
  public envelope?: unknown
  public envelopeBytes?: number
  public envelopeDigest?: string

  public constructor(props?: DeadLetterRecordProps) {
    super()
    if (props) {
      this.id = utils.uuid()
      this.createdAt = new Date()
      this.reason = props.reason
      this.recipientKey = props.recipientKey
      this.envelope = props.envelope
      this.envelopeBytes = props.envelopeBytes
      this.envelopeDigest = props.envelopeDigest
    }
  }

  public getTags() {
    return { ...this._tags }
  }
}
