import { type AgentContext, ConnectionService, DidsApi, injectable, utils } from '@credo-ts/core'
import type { InterceptedSocket } from '../transport/withInboundInterceptor'
import { isEncryptedEnvelope, recipientKids } from '../utils/envelope'
import { DeliveryProcessor, type PickedUpMessage } from './DeliveryProcessor'
import { PickupAcknowledger } from './PickupAcknowledger'

const DELIVERY_TYPES = new Set([
  'https://didcomm.org/messagepickup/2.0/delivery',
  'did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/messagepickup/2.0/delivery',
])
const SOCKET_OPEN = 1

interface UpstreamKeys {
  connectionId: string
  /** Our key on the connection to the external mediator (base58). */
  ours: string
  /** The external mediator's key on that connection (base58). */
  theirs: string
}

interface AttachmentJson {
  '@id'?: unknown
  data?: { json?: unknown; base64?: unknown }
}

/**
 * Pickup 2.0 without Credo's generic pipeline. Through the pipeline, every `delivery` costs a
 * connection look-up by keys (three storage queries), class transformation and validation,
 * and every `messages-received` a DID resolution from storage: measured, most of the proxy's
 * CPU. Here a frame from the external mediator is decrypted once; a delivery goes straight to
 * the DeliveryProcessor, and acknowledgements are packed and written to the same socket with
 * the connection's keys, which are resolved once. Anything else is left to Credo.
 */
@injectable()
export class UpstreamSocketFastPath {
  private keys?: UpstreamKeys
  private agentContext?: AgentContext
  private socket?: InterceptedSocket

  public constructor(
    private readonly connectionService: ConnectionService,
    private readonly acknowledger: PickupAcknowledger,
  ) {}

  public async enable(agentContext: AgentContext, connectionId: string): Promise<void> {
    const connection = await this.connectionService.getById(agentContext, connectionId)
    if (!connection.did || !connection.theirDid) return
    const dids = agentContext.dependencyManager.resolve(DidsApi)
    const [ours] = (await dids.resolveDidDocument(connection.did)).recipientKeys
    const [theirs] = (await dids.resolveDidDocument(connection.theirDid)).recipientKeys
    if (!ours || !theirs) return
    this.agentContext = agentContext
    this.keys = { connectionId, ours: ours.publicKeyBase58, theirs: theirs.publicKeyBase58 }
    this.acknowledger.useDirectChannel((ids) => this.acknowledge(ids))
  }

  public disable(): void {
    this.keys = undefined
    this.socket = undefined
    this.acknowledger.useDirectChannel(undefined)
  }

  /** The interceptor of inbound frames: true once a delivery from the mediator is handled. */
  public async intercept(data: unknown, socket: InterceptedSocket): Promise<boolean> {
    const { keys, agentContext } = this
    if (!keys || !agentContext) return false
    let messages: PickedUpMessage[]
    try {
      const envelope = JSON.parse(typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8'))
      if (!isEncryptedEnvelope(envelope) || !recipientKids(envelope).includes(keys.ours)) return false
      const { plaintextMessage, senderKey } = await agentContext.wallet.unpack(envelope)
      if (senderKey !== keys.theirs || !DELIVERY_TYPES.has(String(plaintextMessage['@type']))) return false
      const attachments = plaintextMessage['~attach']
      messages = (Array.isArray(attachments) ? attachments : []).map(toPickedUpMessage)
    } catch {
      return false
    }
    this.socket = socket
    await agentContext.dependencyManager.resolve(DeliveryProcessor).process(agentContext, keys.connectionId, messages)
    return true
  }

  /** Writes `messages-received` to the mediator's socket; false when there is no open socket to use. */
  public async acknowledge(ids: string[]): Promise<boolean> {
    const { keys, agentContext, socket } = this
    if (!keys || !agentContext || !socket || socket.readyState !== SOCKET_OPEN) return false
    const message = {
      '@type': 'https://didcomm.org/messagepickup/2.0/messages-received',
      '@id': utils.uuid(),
      message_id_list: ids,
      // As Credo sets it for an agent without an inbound endpoint: answers come back on this socket.
      '~transport': { return_route: 'all' },
    }
    const packed = await agentContext.wallet.pack(message, [keys.theirs], keys.ours)
    socket.send(JSON.stringify(packed))
    return true
  }
}

function toPickedUpMessage(attachment: AttachmentJson): PickedUpMessage {
  const id = String(attachment['@id'] ?? '')
  const { json, base64 } = attachment.data ?? {}
  if (json !== undefined) return { id, envelope: json }
  if (typeof base64 === 'string') {
    try {
      return { id, envelope: JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) }
    } catch {
      return { id, envelope: undefined }
    }
  }
  return { id, envelope: undefined }
}
