import {
  type AgentContext,
  DidDocumentRole,
  DidRepository,
  type EncryptedMessage,
  Key,
  KeyType,
  OutOfBandRepository,
  OutOfBandRole,
  injectable,
} from '@credo-ts/core'
import { ProxyMediatorStateService } from '../../ProxyMediatorStateService'
import { recipientKids } from '../../utils/envelope'

/**
 * The most recipient kids looked up per envelope. Each unknown kid costs storage queries, and the
 * list is the sender's to make as long as it likes; real envelopes name a handful. A transport
 * should refuse longer lists before asking (the runner does, with --max-envelope-recipients).
 */
const MAX_KIDS_LOOKED_UP = 32

/**
 * Answers "is this envelope for us?" before Credo tries to decrypt it. Credo's HTTP transport
 * holds a request it cannot decrypt for its 10 s processing timeout and then answers 500; a
 * transport that asks first can answer at once with a 4xx.
 */
@injectable()
export class OwnKeysService {
  private readonly known = new Set<string>()

  public constructor(
    private readonly state: ProxyMediatorStateService,
    private readonly didRepository: DidRepository,
    private readonly outOfBandRepository: OutOfBandRepository,
  ) {}

  /** The proxy's routing key (base58), which senders wrap the agent's forward for. */
  public routingKey(agentContext: AgentContext): Promise<string> {
    return this.state.proxyRoutingKey(agentContext)
  }

  /** Whether one of the envelope's recipient kids is a key of this agent: routing, DID or invitation key. */
  public async isAddressedToUs(agentContext: AgentContext, envelope: EncryptedMessage): Promise<boolean> {
    const kids = recipientKids(envelope).slice(0, MAX_KIDS_LOOKED_UP)
    if (kids.some((kid) => this.known.has(kid))) return true
    const routingKey = await this.state.proxyRoutingKey(agentContext)
    for (const kid of kids) {
      if (kid === routingKey || (await this.isOwnKey(agentContext, kid))) {
        this.known.add(kid)
        return true
      }
    }
    return false
  }

  private async isOwnKey(agentContext: AgentContext, kid: string): Promise<boolean> {
    let fingerprint: string
    try {
      fingerprint = Key.fromPublicKeyBase58(kid, KeyType.Ed25519).fingerprint
    } catch {
      return false
    }
    const dids = await this.didRepository.findByQuery(agentContext, {
      role: DidDocumentRole.Created,
      recipientKeyFingerprints: [fingerprint],
    })
    if (dids.length > 0) return true
    const invitations = await this.outOfBandRepository.findByQuery(agentContext, {
      role: OutOfBandRole.Sender,
      recipientKeyFingerprints: [fingerprint],
    })
    return invitations.length > 0
  }
}
