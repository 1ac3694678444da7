import { BaseRecord, utils } from '@credo-ts/core'
import type { ActivePickupMode, UpstreamMediatorRole } from '../models/ProxyMediatorStatus'

/** One external mediator the proxy is the mediation recipient of. */
export interface UpstreamMediatorEntry {
  connectionId: string
  mediationRecordId: string
  pickupMode: ActivePickupMode
  role: UpstreamMediatorRole
  addedAt: string
}

export interface ProxyMediatorStateRecordProps {
  id?: string
  mediatorConnectionId?: string
  mediationRecordId?: string
  pickupMode?: ActivePickupMode
  agentInvitationOutOfBandId?: string
  agentInvitationUrl?: string
  agentInvitationShape?: string
}

/**
 * The proxy's own state, beyond what Credo already keeps (keys, connections, mediation
 * records): which mediation is the upstream one, how it is picked up, and which invitation is
 * the agents' way in. One record per proxy, so that a restart resumes with no set-up call.
 */
export class ProxyMediatorStateRecord extends BaseRecord {
  public static override readonly type = 'ProxyMediatorStateRecord'
  public override readonly type = ProxyMediatorStateRecord.type
  public static readonly singletonId = 'PROXY_MEDIATOR_STATE'

  /** The external mediators, the primary first. */
  public mediators?: UpstreamMediatorEntry[]
  /** Before several mediators: the one mediator. Read by `upstreamMediators()`, no longer written. */
  public mediatorConnectionId?: string
  public mediationRecordId?: string
  public pickupMode?: ActivePickupMode
  public agentInvitationOutOfBandId?: string
  public agentInvitationUrl?: string
  /** The format and handshake list the invitation was made with; a change of config makes a new one. */
  public agentInvitationShape?: string

  public constructor(props?: ProxyMediatorStateRecordProps) {
    super()
    if (props) {
      this.id = props.id ?? utils.uuid()
      this.createdAt = new Date()
      this.mediatorConnectionId = props.mediatorConnectionId
      this.mediationRecordId = props.mediationRecordId
      this.pickupMode = props.pickupMode
      this.agentInvitationOutOfBandId = props.agentInvitationOutOfBandId
      this.agentInvitationUrl = props.agentInvitationUrl
      this.agentInvitationShape = props.agentInvitationShape
    }
  }

  /** The external mediators, from this version's list or from the single mediator of earlier versions. */
  public upstreamMediators(): UpstreamMediatorEntry[] {
    if (this.mediators) return this.mediators
    if (!this.mediatorConnectionId || !this.mediationRecordId || !this.pickupMode) return []
    return [
      {
        connectionId: this.mediatorConnectionId,
        mediationRecordId: this.mediationRecordId,
        pickupMode: this.pickupMode,
        role: 'primary',
        addedAt: this.createdAt.toISOString(),
      },
    ]
  }

  public getTags() {
    return { ...this._tags }
  }
}
