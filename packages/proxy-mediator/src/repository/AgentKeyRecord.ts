import { BaseRecord } from '@credo-ts/core'

export interface AgentKeyRecordProps {
  connectionId: string
  /** base58 */
  recipientKey: string
}

/**
 * One key a mediated agent registered with a keylist-update: the proxy's keylist index. Credo keeps
 * an agent's keys as one array in its mediation record, rewritten whole (every key a tag) on each
 * update, which made registering 40,000 keys quadratic; a record per key is one write per change.
 * Its id is made of the connection and the key, so that a removal needs no look-up.
 */
export class AgentKeyRecord extends BaseRecord<{ connectionId: string }> {
  public static override readonly type = 'ProxyMediatorAgentKeyRecord'
  public override readonly type = AgentKeyRecord.type

  public connectionId!: string
  public recipientKey!: string

  public constructor(props?: AgentKeyRecordProps) {
    super()
    if (props) {
      this.id = AgentKeyRecord.idOf(props.connectionId, props.recipientKey)
      this.createdAt = new Date()
      this.connectionId = props.connectionId
      this.recipientKey = props.recipientKey
    }
  }

  public static idOf(connectionId: string, recipientKey: string): string {
    return `${connectionId}:${recipientKey}`
  }

  public getTags() {
    return { ...this._tags, connectionId: this.connectionId }
  }
}
