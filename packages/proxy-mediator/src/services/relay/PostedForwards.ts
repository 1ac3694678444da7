import { type AgentContext, type EncryptedMessage, injectable } from '@credo-ts/core'
import { isForwardType, recipientKids } from '../../utils/envelope'
import { OwnKeysService } from './OwnKeysService'
import { RelayPipeline } from './RelayPipeline'

/** What became of an envelope posted straight to the proxy. */
export type ForwardAcceptance =
  | { kind: 'accepted' }
  | { kind: 'refused'; reason: string; code: string }
  /** Not a forward: the transport hands it to Credo's pipeline. */
  | { kind: 'not-a-forward' }

/**
 * Forwards posted straight to the proxy, by HTTP or websocket, taken before Credo's pipeline so
 * that the transport can answer at once: accepted (in the outbox, relayed after), or refused with
 * the reason, a forward for a key no agent registered included. Refused, nothing is kept: the
 * sender learns it from the answer, and an anonymous sender cannot fill the dead letters.
 *
 * Forwards come for the routing key, but one may be packed for any key of the proxy (its invitation
 * key, a connection key). Credo answers the sender of such an envelope before it handles it, so a
 * forward in it could only be dead-lettered: it is opened here instead. What is not a forward goes
 * on to Credo, which opens it again; such messages are few (connection set-up, keylist updates).
 */
@injectable()
export class PostedForwards {
  public constructor(
    private readonly ownKeys: OwnKeysService,
    private readonly pipeline: RelayPipeline,
  ) {}

  /** `envelope` is addressed to a key of this proxy (see `OwnKeysService.isAddressedToUs`). */
  public async accept(agentContext: AgentContext, envelope: EncryptedMessage): Promise<ForwardAcceptance> {
    if (recipientKids(envelope).includes(await this.ownKeys.routingKey(agentContext))) {
      return this.submitted(agentContext, { encrypted: envelope })
    }
    let plaintext: Record<string, unknown>
    try {
      plaintext = (await agentContext.wallet.unpack(envelope)).plaintextMessage as Record<string, unknown>
    } catch (error) {
      return { kind: 'refused', code: 'undecryptable', reason: `cannot decrypt envelope: ${(error as Error).message}` }
    }
    if (!isForwardType(plaintext['@type'])) return { kind: 'not-a-forward' }
    return this.submitted(agentContext, { plaintext })
  }

  private async submitted(
    agentContext: AgentContext,
    layer: { encrypted: unknown } | { plaintext: Record<string, unknown> },
  ): Promise<ForwardAcceptance> {
    const submission = await this.pipeline.submit(agentContext, layer, { kind: 'posted' })
    return submission.kind === 'refused' ? submission : { kind: 'accepted' }
  }
}
