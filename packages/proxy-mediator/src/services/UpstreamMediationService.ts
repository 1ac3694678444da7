import {
  type AgentContext,
  ConnectionsApi,
  DidsApi,
  DiscoverFeaturesApi,
  EventEmitter,
  KeylistUpdateAction,
  KeylistUpdateResult,
  type KeylistUpdated,
  type MediationRecord,
  MediationRecipientApi,
  MediationRecipientService,
  MediationRepository,
  OutOfBandApi,
  type OutOfBandInvitation,
  type KeylistUpdatedEvent,
  RoutingEventTypes,
  RoutingService,
  injectable,
} from '@credo-ts/core'
import { Key, KeyType } from '@credo-ts/core'
import { filter, firstValueFrom, timeout } from 'rxjs'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { InvalidInvitationError } from '../errors/InvalidInvitationError'
import { KeylistUpdateRefusedError } from '../errors/KeylistUpdateRefusedError'
import { MediatorUnreachableError } from '../errors/MediatorUnreachableError'
import type { ActivePickupMode } from '../models/ProxyMediatorStatus'
import { INVITATION_BODY_LIMITS, resolveInvitationUrl } from '../utils/fetchInvitation'
import { ProxyMediatorStateService } from './ProxyMediatorStateService'

const PICKUP_V2_PROTOCOL = 'https://didcomm.org/messagepickup/2.0'

/**
 * The proxy as mediation recipient: connect to the external mediator with no reachable
 * endpoint of its own, obtain a grant, and register the proxy's routing key there.
 */
@injectable()
export class UpstreamMediationService {
  public constructor(
    private readonly config: ProxyMediatorModuleConfig,
    private readonly eventEmitter: EventEmitter,
    private readonly mediationRepository: MediationRepository,
    private readonly mediationRecipientService: MediationRecipientService,
    private readonly state: ProxyMediatorStateService,
    private readonly routingService: RoutingService,
  ) {}

  public async parseInvitation(agentContext: AgentContext, invitationUrl: string): Promise<OutOfBandInvitation> {
    if (typeof invitationUrl !== 'string' || invitationUrl.trim() === '') {
      throw new InvalidInvitationError('The invitation URL is empty')
    }
    try {
      new URL(invitationUrl)
    } catch {
      throw new InvalidInvitationError(`'${invitationUrl.slice(0, 200)}' is not a URL`)
    }
    // A short URL is fetched here, bounded; Credo's fetch bounds neither the body nor the redirects.
    const inlineUrl = await resolveInvitationUrl(invitationUrl, {
      ...INVITATION_BODY_LIMITS,
      timeoutMs: this.config.invitationFetchTimeoutMs,
    })
    try {
      return await agentContext.dependencyManager.resolve(OutOfBandApi).parseInvitation(inlineUrl)
    } catch (error) {
      throw new InvalidInvitationError(`Not a DIDComm invitation (oob=, c_i= or d_m=): ${(error as Error).message}`)
    }
  }

  /** Connects and obtains a grant. Returns the granted (recipient-role) mediation record. */
  public async requestMediation(agentContext: AgentContext, invitation: OutOfBandInvitation): Promise<MediationRecord> {
    const timeoutMs = this.config.mediatorTimeoutMs
    // The proxy is behind the firewall: its endpoint toward the mediator is the queue
    // placeholder, which makes Credo ask for return-route and keep the socket it opened.
    const routing = await this.routingService.getRouting(agentContext, { useDefaultMediator: false })
    routing.endpoints = ['didcomm:transport/queue']

    const oob = agentContext.dependencyManager.resolve(OutOfBandApi)
    const connections = agentContext.dependencyManager.resolve(ConnectionsApi)
    let connectionId: string
    try {
      const { connectionRecord } = await oob.receiveInvitation(invitation, {
        routing,
        reuseConnection: true,
        autoAcceptConnection: true,
        autoAcceptInvitation: true,
      })
      if (!connectionRecord) throw new Error('the invitation did not lead to a connection')
      connectionId = connectionRecord.id
      await connections.returnWhenIsConnected(connectionId, { timeoutMs })
    } catch (error) {
      throw new MediatorUnreachableError(`Could not connect to the external mediator: ${(error as Error).message}`)
    }

    const existing = await this.mediationRepository.findSingleByQuery(agentContext, { connectionId })
    if (existing?.isReady) return existing
    try {
      const recipientApi = agentContext.dependencyManager.resolve(MediationRecipientApi)
      const connection = await connections.getById(connectionId)
      return await recipientApi.requestAndAwaitGrant(connection, timeoutMs)
    } catch (error) {
      throw new MediatorUnreachableError(`The external mediator did not grant mediation: ${(error as Error).message}`)
    }
  }

  /** Registers the proxy's routing key upstream and checks that the mediator accepted it. */
  public async registerRoutingKey(agentContext: AgentContext, mediationRecord: MediationRecord): Promise<string> {
    const routingKey = await this.state.proxyRoutingKey(agentContext)
    if (mediationRecord.recipientKeys.includes(routingKey)) return routingKey
    await this.updateKeylist(agentContext, mediationRecord, [{ key: routingKey, action: KeylistUpdateAction.add }])
    return routingKey
  }

  /**
   * Adds or removes keys (base58) in the proxy's keylist at one external mediator, and checks that
   * the mediator took each change. The proxy's routing key, or in transparent mode the agents' keys.
   * Throws `KeylistUpdateRefusedError` when the mediator answered and refused a change, and
   * `MediatorUnreachableError` when it did not answer.
   */
  public async updateKeylist(
    agentContext: AgentContext,
    mediationRecord: MediationRecord,
    updates: Array<{ key: string; action: KeylistUpdateAction }>,
  ): Promise<void> {
    if (updates.length === 0) return
    const result = firstValueFrom(
      this.eventEmitter.observable<KeylistUpdatedEvent>(RoutingEventTypes.RecipientKeylistUpdated).pipe(
        filter((event) => event.payload.mediationRecord.id === mediationRecord.id),
        timeout(this.config.mediatorTimeoutMs),
      ),
    )
    let keylist: KeylistUpdated[]
    try {
      await this.mediationRecipientService.keylistUpdateAndAwait(
        agentContext,
        mediationRecord,
        updates.map(({ key, action }) => ({ recipientKey: Key.fromPublicKeyBase58(key, KeyType.Ed25519), action })),
        this.config.mediatorTimeoutMs,
      )
      // Credo types the payload as the request's updates; at runtime it is the response's results.
      keylist = (await result).payload.keylist as unknown as KeylistUpdated[]
    } catch (error) {
      throw new MediatorUnreachableError(
        `The external mediator did not take the keylist update: ${(error as Error).message}`,
      )
    }
    const failed = keylist.find(
      (update) => update.result !== KeylistUpdateResult.Success && update.result !== KeylistUpdateResult.NoChange,
    )
    if (failed) {
      throw new KeylistUpdateRefusedError(
        `The external mediator did not take the keylist update: the mediator answered '${failed.result}'`,
      )
    }
  }

  /** `auto`: live mode over websocket when offered, implicit over websocket otherwise, else polling. */
  public async choosePickupMode(
    agentContext: AgentContext,
    mediationRecord: MediationRecord,
  ): Promise<ActivePickupMode> {
    const configured = this.config.pickupStrategy
    if (configured !== 'auto') return configured
    const connection = await agentContext.dependencyManager
      .resolve(ConnectionsApi)
      .getById(mediationRecord.connectionId)
    const didDocument = connection.theirDid
      ? await agentContext.dependencyManager.resolve(DidsApi).resolveDidDocument(connection.theirDid)
      : undefined
    const hasWebsocket = didDocument?.didCommServices.some((service) => ['ws', 'wss'].includes(service.protocolScheme))
    const supports = await this.discoverProtocols(agentContext, mediationRecord.connectionId)
    if (hasWebsocket) return supports.has(PICKUP_V2_PROTOCOL) ? 'live' : 'implicit'
    if (supports.has(PICKUP_V2_PROTOCOL)) return 'poll-v2'
    return 'poll-v1'
  }

  private async discoverProtocols(agentContext: AgentContext, connectionId: string): Promise<Set<string>> {
    try {
      const { features } = await agentContext.dependencyManager.resolve(DiscoverFeaturesApi).queryFeatures({
        connectionId,
        protocolVersion: 'v1',
        // Discover features 1.0 takes a single query; the wildcard covers both pickup versions.
        queries: [{ featureType: 'protocol', match: 'https://didcomm.org/messagepickup/*' }],
        awaitDisclosures: true,
        awaitDisclosuresTimeoutMs: Math.min(this.config.mediatorTimeoutMs, 7_000),
      })
      return new Set((features ?? []).map((feature) => feature.id.replace(/\/$/, '')))
    } catch (error) {
      // ACA-Py mediators before discover-features 1.0 support: assume the minimum.
      agentContext.config.logger.warn('The external mediator did not answer discover-features', { error })
      return new Set()
    }
  }
}
