import {
  type AgentContext,
  ConnectionEventTypes,
  type ConnectionRecord,
  ConnectionService,
  type ConnectionStateChangedEvent,
  ConnectionsApi,
  DidExchangeState,
  DidsApi,
  DiscoverFeaturesApi,
  type DiscoverFeaturesDisclosureReceivedEvent,
  DiscoverFeaturesEventTypes,
  EventEmitter,
  KeylistUpdateAction,
  KeylistUpdateResult,
  type KeylistUpdated,
  type KeylistUpdatedEvent,
  MediationRecipientService,
  type MediationRecord,
  MediationRepository,
  MediationState,
  type MediationStateChangedEvent,
  MessageSender,
  OutOfBandApi,
  type OutOfBandInvitation,
  OutboundMessageContext,
  RoutingEventTypes,
  RoutingService,
  injectable,
} from '@credo-ts/core'
import { Key, KeyType } from '@credo-ts/core'
import { type Observable, filter, first, firstValueFrom, from, map, merge, of, throwError, timeout } from 'rxjs'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import { ProxyMediatorStateService } from '../../ProxyMediatorStateService'
import { InvalidInvitationError } from '../../errors/InvalidInvitationError'
import { KeylistUpdateRefusedError } from '../../errors/KeylistUpdateRefusedError'
import { MediatorUnreachableError } from '../../errors/MediatorUnreachableError'
import type { ActivePickupMode } from '../../models/ProxyMediatorStatus'
import { Egress } from '../../transport/Egress'
import { INVITATION_BODY_LIMITS, resolveInvitationUrl } from '../../utils/fetchInvitation'
import { UpstreamSetupWatch } from './UpstreamSetupWatch'

const PICKUP_V1_PROTOCOL = 'https://didcomm.org/messagepickup/1.0'
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
    private readonly setupWatch: UpstreamSetupWatch,
    private readonly egress: Egress,
  ) {}

  public async parseInvitation(agentContext: AgentContext, invitationUrl: string): Promise<OutOfBandInvitation> {
    // Refuses what is not a URL, and fetches a short URL, bounded: Credo's fetch bounds neither the
    // body nor the redirects.
    const inlineUrl = await resolveInvitationUrl(
      invitationUrl,
      { ...INVITATION_BODY_LIMITS, timeoutMs: this.config.invitationFetchTimeoutMs },
      this.egress.fetch,
    )
    try {
      return await agentContext.dependencyManager.resolve(OutOfBandApi).parseInvitation(inlineUrl)
    } catch (error) {
      throw new InvalidInvitationError(`Not a DIDComm invitation (oob=, c_i= or d_m=): ${(error as Error).message}`)
    }
  }

  /**
   * Connects and obtains a grant. Returns the granted (recipient-role) mediation record. A refusal
   * (a problem report, a mediate-deny, an answer the handshake cannot take) fails it at once, with
   * the reason, rather than after `mediatorTimeoutMs`.
   */
  public async requestMediation(agentContext: AgentContext, invitation: OutOfBandInvitation): Promise<MediationRecord> {
    // The proxy is behind the firewall: its endpoint toward the mediator is the queue
    // placeholder, which makes Credo ask for return-route and keep the socket it opened.
    const routing = await this.routingService.getRouting(agentContext, { useDefaultMediator: false })
    routing.endpoints = ['didcomm:transport/queue']

    const oob = agentContext.dependencyManager.resolve(OutOfBandApi)
    const watch = this.setupWatch.begin()
    const startedAt = Date.now()
    // Credo says 'undeliverable' and drops the transport's error; the egress kept it.
    const why = (error: unknown) => {
      const failure = this.egress.failureSince(startedAt)
      return `${(error as Error).message}${failure ? `: ${failure.description}` : ''}`
    }
    try {
      let connection: ConnectionRecord
      try {
        const { connectionRecord } = await oob.receiveInvitation(invitation, {
          routing,
          reuseConnection: true,
          autoAcceptConnection: true,
          autoAcceptInvitation: true,
        })
        if (!connectionRecord) throw new Error('the invitation did not lead to a connection')
        connection = await this.connectionCompleted(
          agentContext,
          connectionRecord.id,
          watch.failure(connectionRecord.id),
        )
      } catch (error) {
        throw new MediatorUnreachableError(`Could not connect to the external mediator: ${why(error)}`)
      }

      const existing = await this.mediationRepository.findSingleByQuery(agentContext, { connectionId: connection.id })
      if (existing?.isReady) return existing
      try {
        return await this.granted(agentContext, connection, watch.failure(connection.id))
      } catch (error) {
        throw new MediatorUnreachableError(`The external mediator did not grant mediation: ${why(error)}`)
      }
    } finally {
      watch.end()
    }
  }

  /** The connection once its handshake completed; `failure` or the timeout end the wait, which leaves no timer behind. */
  private async connectionCompleted(
    agentContext: AgentContext,
    connectionId: string,
    failure: Promise<never>,
  ): Promise<ConnectionRecord> {
    const completed = (connection: ConnectionRecord) =>
      connection.id === connectionId && connection.state === DidExchangeState.Completed
    const events = this.eventEmitter
      .observable<ConnectionStateChangedEvent>(ConnectionEventTypes.ConnectionStateChanged)
      .pipe(map((event) => event.payload.connectionRecord))
    const current = agentContext.dependencyManager.resolve(ConnectionService).getById(agentContext, connectionId)
    return this.firstOf(merge(events, from(current)).pipe(filter(completed)), failure, 'the handshake to complete')
  }

  /** Sends the mediation request and waits for the grant, the set-up's failure or the timeout. */
  private async granted(
    agentContext: AgentContext,
    connection: ConnectionRecord,
    failure: Promise<never>,
  ): Promise<MediationRecord> {
    const { mediationRecord, message } = await this.mediationRecipientService.createRequest(agentContext, connection)
    const grant = this.firstOf(
      this.eventEmitter.observable<MediationStateChangedEvent>(RoutingEventTypes.MediationStateChanged).pipe(
        map((event) => event.payload.mediationRecord),
        filter((record) => record.id === mediationRecord.id && record.state === MediationState.Granted),
      ),
      failure,
      'a mediate-grant',
    )
    // Awaited only once the request is sent: a send that throws must not leave it to reject unheard.
    grant.catch(() => undefined)
    await agentContext.dependencyManager
      .resolve(MessageSender)
      .sendMessage(new OutboundMessageContext(message, { agentContext, connection, associatedRecord: mediationRecord }))
    return grant
  }

  /** The first of `values`, unless `failure` or `mediatorTimeoutMs` comes first. */
  private firstOf<T>(values: Observable<T>, failure: Promise<never>, what: string): Promise<T> {
    const timeoutMs = this.config.mediatorTimeoutMs
    return firstValueFrom(
      merge(values, from(failure)).pipe(
        first(),
        timeout({
          first: timeoutMs,
          with: () => throwError(() => new Error(`no answer within ${timeoutMs / 1000} s while waiting for ${what}`)),
        }),
      ),
    )
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
    // Awaited only after the update went out: an update that throws (or an agent that stops, which
    // completes the events) must not leave it to reject unheard.
    result.catch(() => undefined)
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

  /**
   * `auto`: live mode over websocket when offered, implicit over websocket otherwise, else polling.
   * A mediator that answered discover-features with no pickup protocol and lists no websocket (an
   * ACA-Py whose `--endpoint` names only HTTP) offers no way to pick up at all: that is refused,
   * with the fix, rather than polled with a protocol it does not know.
   */
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
    if (hasWebsocket) return supports?.has(PICKUP_V2_PROTOCOL) ? 'live' : 'implicit'
    if (supports?.has(PICKUP_V2_PROTOCOL)) return 'poll-v2'
    if (supports && !supports.has(PICKUP_V1_PROTOCOL)) {
      throw new MediatorUnreachableError(
        'The external mediator offers no way to pick messages up: its DID document lists no websocket endpoint, and it supports neither pickup 1.0 nor 2.0. Give it a websocket endpoint (ACA-Py: --inbound-transport ws <host> <port> and that URL in --endpoint, after the HTTP one), or load a pickup protocol (ACA-Py: --plugin acapy_plugin_pickup).',
      )
    }
    return 'poll-v1'
  }

  /** The pickup protocols the mediator discloses; undefined when it did not answer. */
  private async discoverProtocols(agentContext: AgentContext, connectionId: string): Promise<Set<string> | undefined> {
    // Credo's own wait answers "nothing" for no answer too, so the disclosure itself is awaited here.
    const timeoutMs = Math.min(this.config.mediatorTimeoutMs, 7_000)
    const disclosure = firstValueFrom(
      this.eventEmitter
        .observable<DiscoverFeaturesDisclosureReceivedEvent>(DiscoverFeaturesEventTypes.DisclosureReceived)
        .pipe(
          filter((event) => event.payload.connection.id === connectionId),
          map((event) => new Set(event.payload.disclosures.map((feature) => feature.id.replace(/\/$/, '')))),
          first(),
          timeout({ first: timeoutMs, with: () => of(undefined) }),
        ),
    )
    try {
      await agentContext.dependencyManager.resolve(DiscoverFeaturesApi).queryFeatures({
        connectionId,
        protocolVersion: 'v1',
        // Discover features 1.0 takes a single query; the wildcard covers both pickup versions.
        queries: [{ featureType: 'protocol', match: 'https://didcomm.org/messagepickup/*' }],
      })
    } catch (error) {
      agentContext.config.logger.warn('Could not ask the external mediator what it supports', { error })
    }
    const protocols = await disclosure
    // A mediator that predates discover-features 1.0: assume the minimum.
    if (!protocols) agentContext.config.logger.warn('The external mediator did not answer discover-features')
    return protocols
  }
}
