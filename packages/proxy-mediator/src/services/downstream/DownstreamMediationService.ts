import {
  type AgentContext,
  type ConnectionRecord,
  ConnectionService,
  HandshakeProtocol,
  type InboundMessageContext,
  KeylistUpdateMessage,
  MediationGrantMessage,
  MediationRepository,
  type MediationRequestMessage,
  MediationRole,
  MediationState,
  MediatorService,
  MessageSender,
  OutOfBandApi,
  OutOfBandRepository,
  OutboundMessageContext,
  ProblemReportError,
  injectable,
} from '@credo-ts/core'
import { DEFAULT_AGENT_HANDSHAKE_PROTOCOLS, ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { ProxyMediatorStateService } from '../../ProxyMediatorStateService'
import { KeylistMessage } from '../../messages/KeylistMessage'
import type { KeylistQueryMessage } from '../../messages/KeylistQueryMessage'
import type { DownstreamAgentStatus } from '../../models/ProxyMediatorStatus'
import { verkeyToDidKey } from '../../utils/keys'
import { pageOf } from '../../utils/pageOf'
import { AgentDirectory } from '../relay/AgentDirectory'
import { UpstreamFailover } from '../upstream/UpstreamFailover'
import { USE_DID_KEYS_METADATA } from './AgentKeylists'

/** Marks out-of-band records made by the proxy for its agents; only those connections get mediation. */
const AGENT_INVITATION_METADATA = 'proxyMediator:agentInvitation'
/** The most keys one keylist answer carries: an agent may hold 100,000. */
const KEYLIST_PAGE_MAX = 1_000
const DEFAULT_INVITATION_SHAPE = ['oob/1.1', ...DEFAULT_AGENT_HANDSHAKE_PROTOCOLS].join(' ')

/**
 * The proxy as mediator of the agents: it hands out the invitation, decides who gets
 * mediation, and grants it with the external mediator's endpoint, so that senders on the
 * internet reach the agent through the external mediator and then the proxy.
 */
@injectable()
export class DownstreamMediationService {
  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly state: ProxyMediatorStateService,
    private readonly upstream: UpstreamFailover,
    private readonly directory: AgentDirectory,
    private readonly mediatorService: MediatorService,
    private readonly mediationRepository: MediationRepository,
    private readonly outOfBandRepository: OutOfBandRepository,
  ) {}

  /**
   * The agents' invitation: made once and kept, so integration scripts get the same URL every time.
   * A new one is made when the configured format or handshakes change; older ones stay valid.
   */
  public async getAgentInvitation(agentContext: AgentContext): Promise<{ invitationUrl: string; outOfBandId: string }> {
    const current = this.state.current ?? (await this.state.load(agentContext))
    const shape = [this.config.agentInvitationFormat, ...this.config.agentHandshakeProtocols].join(' ')
    // An invitation made before the shape was stored is kept while the defaults are in force, so
    // that an upgrade does not change the URL that scripts already hold.
    const currentShape = current.agentInvitationShape ?? DEFAULT_INVITATION_SHAPE
    if (current.agentInvitationUrl && current.agentInvitationOutOfBandId && currentShape === shape) {
      const record = await this.outOfBandRepository.findById(agentContext, current.agentInvitationOutOfBandId)
      const stillUsable = record && (record.reusable || record.state !== 'done')
      if (stillUsable)
        return { invitationUrl: current.agentInvitationUrl, outOfBandId: current.agentInvitationOutOfBandId }
    }
    const { record, invitationUrl } = await this.createAgentInvitation(agentContext)
    record.metadata.set(AGENT_INVITATION_METADATA, { createdAt: new Date().toISOString() })
    await this.outOfBandRepository.update(agentContext, record)
    await this.state.update(agentContext, {
      agentInvitationUrl: invitationUrl,
      agentInvitationOutOfBandId: record.id,
      agentInvitationShape: shape,
    })
    return { invitationUrl, outOfBandId: record.id }
  }

  private async createAgentInvitation(agentContext: AgentContext) {
    const oob = agentContext.dependencyManager.resolve(OutOfBandApi)
    const domain = agentContext.config.endpoints[0]
    const options = {
      label: this.config.agentInvitationLabel ?? agentContext.config.label,
      multiUseInvitation: this.config.multiUseAgentInvitation,
      autoAcceptConnection: true,
    }
    if (this.config.agentInvitationFormat === 'connections/1.0') {
      const { outOfBandRecord, invitation } = await oob.createLegacyInvitation(options)
      return { record: outOfBandRecord, invitationUrl: invitation.toUrl({ domain }) }
    }
    const record = await oob.createInvitation({
      ...options,
      handshakeProtocols: [HandshakeProtocol.DidExchange, HandshakeProtocol.Connections],
    })
    // Credo writes only the handshakes it knows in their newest version; agents pick by this list.
    const invitation = record.outOfBandInvitation
    invitation.handshakeProtocols = this.config.agentHandshakeProtocols as HandshakeProtocol[]
    if (this.config.agentInvitationFormat === 'oob/1.0') {
      ;(invitation as { type: string }).type = 'https://didcomm.org/out-of-band/1.0/invitation'
    }
    return { record, invitationUrl: invitation.toUrl({ domain }) }
  }

  /** The agents mediated, as the status shows them. */
  public listAgents(): DownstreamAgentStatus[] {
    return this.directory.list(this.config.agentFailingAfterMs)
  }

  /** Grants mediation to an agent that came in through the proxy's invitation, once upstream is ready. */
  public async handleMediationRequest(
    messageContext: InboundMessageContext<MediationRequestMessage>,
  ): Promise<OutboundMessageContext<MediationGrantMessage>> {
    const { agentContext } = messageContext
    const connection = messageContext.assertReadyConnection()
    if (!(await this.cameThroughAgentInvitation(agentContext, connection))) {
      throw new ProblemReportError(
        'Mediation refused: this proxy mediates only agents that connected through its own agent invitation',
        { problemCode: 'request_not_accepted' },
      )
    }
    const upstream = this.upstream.grantRoute()
    if (!upstream) {
      throw new ProblemReportError(
        'Mediation refused for now: the proxy is not yet picking up from an external mediator; try again once its status is ready',
        { problemCode: 'request_not_accepted' },
      )
    }

    const existing = await this.mediationRepository.findSingleByQuery(agentContext, {
      connectionId: connection.id,
      role: MediationRole.Mediator,
    })
    const record = existing ?? (await this.mediatorService.processMediationRequest(messageContext))
    let grant: MediationGrantMessage
    if (record.state === MediationState.Requested) {
      grant = (await this.mediatorService.createGrantMediationMessage(agentContext, record)).message
    } else {
      record.threadId = messageContext.message.threadId
      await this.mediationRepository.update(agentContext, record)
      grant = new MediationGrantMessage({ endpoint: upstream.endpoint, routingKeys: [], threadId: record.threadId })
    }
    await this.writeRoute(agentContext, grant, upstream)
    agentContext.config.logger.info(`Granted mediation to agent '${connection.theirLabel ?? connection.id}'`)
    return new OutboundMessageContext(grant, { agentContext, connection, associatedRecord: record })
  }

  /**
   * Tells every agent the route new grants name now, with a fresh mediate-grant on its mediation's
   * thread. ACA-Py takes a grant in any state and overwrites its mediation record's endpoint and
   * routing keys, so its new connections use the new route (its existing ones keep theirs: their DID
   * docs are with the senders, which is why a mediator drains). Credo 0.5 takes a grant only while
   * its request is pending, and logs the refusal.
   */
  public async announceRoute(agentContext: AgentContext): Promise<number> {
    const upstream = this.upstream.grantRoute()
    if (!upstream) return 0
    const records = await this.mediationRepository.findByQuery(agentContext, {
      role: MediationRole.Mediator,
      state: MediationState.Granted,
    })
    let announced = 0
    for (const record of records) {
      try {
        const connection = await agentContext.dependencyManager
          .resolve(ConnectionService)
          .getById(agentContext, record.connectionId)
        const grant = new MediationGrantMessage({
          endpoint: upstream.endpoint,
          routingKeys: [],
          threadId: record.threadId,
        })
        await this.writeRoute(agentContext, grant, upstream)
        await agentContext.dependencyManager
          .resolve(MessageSender)
          .sendMessage(new OutboundMessageContext(grant, { agentContext, connection, associatedRecord: record }))
        announced++
      } catch (error) {
        agentContext.config.logger.warn(`Could not tell agent ${record.connectionId} of the new route`, { error })
      }
    }
    return announced
  }

  /**
   * A sender wraps for each routing key in order, so in proxy mode the proxy's key comes first: the
   * external mediator unwraps the outer layer, the proxy the next one. In transparent mode the
   * external mediator's keys alone: it routes the agent's keys, which the proxy registered there.
   */
  private async writeRoute(
    agentContext: AgentContext,
    grant: MediationGrantMessage,
    upstream: { endpoint: string; routingKeys: string[] },
  ): Promise<void> {
    const routingKeys =
      this.config.relayMode === 'transparent'
        ? upstream.routingKeys
        : [await this.state.proxyRoutingKey(agentContext), ...upstream.routingKeys]
    grant.endpoint = upstream.endpoint
    grant.routingKeys = routingKeys.map(verkeyToDidKey)
  }

  /**
   * RFC 0211 `keylist`: the agent's registered keys, in the form it registered them (did:key or
   * raw base58, as Credo records per connection), from the keylist index, paginated as asked and at
   * most `KEYLIST_PAGE_MAX` at a time (`remaining` says how many more there are).
   */
  public async createKeylist(
    messageContext: InboundMessageContext<KeylistQueryMessage>,
  ): Promise<OutboundMessageContext<KeylistMessage>> {
    const { agentContext, message } = messageContext
    const connection = messageContext.assertReadyConnection()
    const agent = this.directory.agentOf(connection.id)
    if (!agent || agent.mediationState !== MediationState.Granted) {
      throw new ProblemReportError('No mediation is granted on this connection; send a mediate-request first', {
        problemCode: 'request_not_accepted',
      })
    }
    const usesDidKey =
      connection.metadata.get<Record<string, boolean>>(USE_DID_KEYS_METADATA)?.[
        KeylistUpdateMessage.type.protocolUri
      ] ?? agentContext.config.useDidKeyInProtocols
    const total = agent.recipientKeys.size
    const offset = Math.max(0, message.paginate?.offset ?? 0)
    const asked = message.paginate?.limit
    const limit = asked !== undefined && asked > 0 ? Math.min(asked, KEYLIST_PAGE_MAX) : KEYLIST_PAGE_MAX
    const page = pageOf(agent.recipientKeys, offset, limit)
    return new OutboundMessageContext(
      new KeylistMessage({
        threadId: message.threadId,
        keys: page.map((key) => ({ recipient_key: usesDidKey ? verkeyToDidKey(key) : key })),
        pagination: { count: page.length, offset, remaining: Math.max(0, total - offset - page.length) },
      }),
      { agentContext, connection },
    )
  }

  private async cameThroughAgentInvitation(agentContext: AgentContext, connection: ConnectionRecord): Promise<boolean> {
    if (!connection.outOfBandId) return false
    const record = await this.outOfBandRepository.findById(agentContext, connection.outOfBandId)
    return Boolean(record?.metadata.get(AGENT_INVITATION_METADATA))
  }
}
