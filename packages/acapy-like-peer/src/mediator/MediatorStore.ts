import { type KeyPair, newKeyPair } from '../crypto'
import type { DidCommService } from '../dids'

export type ConnectionProtocol = 'connections/1.0' | 'didexchange/1.0' | 'didexchange/1.1'

/** ACA-Py's `ConnRecord`, with what the mediator keeps of the other side (`connections/models/conn_record.py`). */
export interface MediatorConnection {
  id: string
  protocol: ConnectionProtocol
  /** `request` until the response is written; ACA-Py counts `response` and `completed` as ready (`ConnRecord.is_ready`). */
  state: 'request' | 'response' | 'completed'
  ourKey: KeyPair
  ourDid: string
  theirDid: string
  theirLabel?: string
  theirService: DidCommService
  mediation?: 'granted' | 'denied'
}

/** An invitation the mediator handed out, and the key it names (`--invite-multi-use`, or single use). */
export interface MediatorInvitation {
  key: KeyPair
  multiUse: boolean
  used: boolean
}

/**
 * What an ACA-Py mediator keeps in its wallet, and so across a restart: its keys, its invitations,
 * its connections, the mediations it granted and the routes (keylists) they registered. The
 * undelivered queue is not here: ACA-Py keeps it in the process's memory.
 */
export class MediatorStore {
  /** Every private key of the mediator, by verkey (base58). */
  public readonly keys = new Map<string, KeyPair>()
  public readonly connections = new Map<string, MediatorConnection>()
  /** `RouteRecord`: a registered recipient key (base58) and the connection it routes to. */
  public readonly routes = new Map<string, string>()
  /** Invitations by message id. */
  public readonly invitations = new Map<string, MediatorInvitation>()
  /** ACA-Py's one routing DID of the mediator (`MediationManager._retrieve_routing_did`). */
  public readonly routingKey: KeyPair

  public constructor() {
    this.routingKey = this.newKey()
  }

  public newKey(): KeyPair {
    const key = newKeyPair()
    this.keys.set(key.verkey, key)
    return key
  }

  /** The connection whose key of ours this is (`find_inbound_connection` by recipient verkey). */
  public connectionByOurKey(verkey: string | undefined): MediatorConnection | undefined {
    if (!verkey) return undefined
    for (const connection of this.connections.values()) if (connection.ourKey.verkey === verkey) return connection
    return undefined
  }
}
