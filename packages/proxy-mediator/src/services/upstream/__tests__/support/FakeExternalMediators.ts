import {
  type AgentContext,
  ConnectionRecord,
  type ConnectionService,
  DidExchangeRole,
  DidExchangeState,
  EventEmitter,
  KeylistUpdateAction,
  MediationRecord,
  type MediationRepository,
  MediationRole,
  MediationState,
  type MessagePickupApi,
  type MessageSender,
  OutOfBandInvitation,
  OutOfBandRecord,
  type OutOfBandRepository,
  OutOfBandRole,
  OutOfBandState,
} from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'
import { Subject } from 'rxjs'
import type { ProxyMediatorStateService } from '../../../../ProxyMediatorStateService'
import { InMemoryRepository } from '../../../../__tests__/support/InMemoryRepository'
import { ProxyStateStore } from '../../../../__tests__/support/proxyState'
import { MediatorUnreachableError } from '../../../../errors/MediatorUnreachableError'
import type { ActivePickupMode, UpstreamSocketState } from '../../../../models/ProxyMediatorStatus'
import type { AgentDirectory } from '../../../relay/AgentDirectory'
import type { RelayPipeline } from '../../../relay/RelayPipeline'
import type { KeylistChange } from '../../KeylistMirror'
import type { UpstreamChannel } from '../../UpstreamChannel'
import type { UpstreamMediationService } from '../../UpstreamMediationService'
import type { UpstreamMediator } from '../../UpstreamMediator'
import type { UpstreamMediatorSet } from '../../UpstreamMediatorSet'

export type MediatorName = 'a' | 'b' | 'c'

/** What each external mediator grants the proxy: where senders reach it, and its routing key (base58). */
const GRANTS: Record<MediatorName, { endpoint: string; routingKeys: string[] }> = {
  a: { endpoint: 'https://a.example/didcomm', routingKeys: ['Cu5Z9kn4gjfjAqxi6tAJwigsFuegvdquVHir7jV4dLn5'] },
  b: { endpoint: 'https://b.example/didcomm', routingKeys: ['9j61H7j3ZitCPLU93Tjw2NGAUJAF3Djg3GsUSYNT7Lk1'] },
  c: { endpoint: 'https://c.example/didcomm', routingKeys: ['AuiSjSzqBPoSbbzHAndmRYDC7RkzxmdzcNtbds8JtBkT'] },
}

export const grantOf = (name: MediatorName) => GRANTS[name]

/** An invitation of this mediator; another `n` is another invitation of the same mediator. */
export const invitationOf = (name: MediatorName, n = 1) => `https://${name}.example/invitation/${n}`

/**
 * Three external mediators, as the proxy's seams see them: the set-up steps of
 * `UpstreamMediationService` (connect, grant, keylist), the websocket of each as `UpstreamChannel`
 * reports it (telling the mediator's session of each change, as the channel does), and pickup 2.0
 * status answers to `MessagePickupApi` (what a mediator holds, answered at once, to the mediator
 * the channel finds in `UpstreamMediatorSet`). Connections, invitations and mediations are Credo's
 * real records, in memory. A test changes the world through the knobs (`socketOf`, `holds`, ...)
 * and reads what the proxy did (`keylistUpdates`, `setups`, `closedSockets`).
 */
export class FakeExternalMediators {
  private readonly stop$ = new Subject<boolean>()
  public readonly eventEmitter = new EventEmitter(agentDependencies, this.stop$)
  public readonly mediations = new InMemoryRepository<MediationRecord>()
  public readonly receivedInvitations = new InMemoryRepository<OutOfBandRecord>()
  public readonly connections = new InMemoryRepository<ConnectionRecord>()
  public readonly proxyState = new ProxyStateStore()
  /** The agents' keys the proxy routes; in transparent mode they are registered upstream too. */
  public agentKeys: string[] = []
  /** The sockets the proxy closed (with why), by mediator id. */
  public readonly closedSockets: Array<[string, string]> = []
  /** Every keylist update the proxy sent to a mediator, in order. */
  public readonly keylistUpdates: Array<{ mediator: MediatorName; changes: KeylistChange[] }> = []
  /** How many times the proxy connected to a mediator and asked for mediation. */
  public setups = 0
  private readonly pickupModes = new Map<MediatorName, ActivePickupMode>()
  private readonly nameOf = new Map<string, MediatorName>()
  private readonly sockets = new Map<string, UpstreamSocketState>()
  /** Each mediator as the proxy opened it on the channel: the one its socket changes reach. */
  private readonly opened = new Map<string, UpstreamMediator>()
  /** The proxy these fakes serve: where the channel finds its mediators, and its state service. */
  private proxy?: { mediators: UpstreamMediatorSet; state: ProxyMediatorStateService }
  private readonly held = new Map<string, number>()
  private readonly inFlight = new Map<string, number>()
  private readonly silent = new Set<MediatorName>()
  private readonly unreachable = new Set<MediatorName>()
  private gate?: Promise<void>

  /** How the proxy is to pick up from this mediator (what `choosePickupMode` answers); live by default. */
  public pickUpBy(name: MediatorName, mode: ActivePickupMode): void {
    this.pickupModes.set(name, mode)
  }

  /**
   * The proxy the fakes serve, as its container would share them: the channel finds its mediators
   * in its set, and the set-up steps read its routing key from its state service.
   */
  public serve(proxy: { mediators: UpstreamMediatorSet; state: ProxyMediatorStateService }): void {
    this.proxy = proxy
  }

  /** The mediator's websocket opens or closes, as the channel would tell the mediator's session. */
  public socketOf(connectionId: string, state: UpstreamSocketState): void {
    this.sockets.set(connectionId, state)
    this.proxy?.mediators.get(connectionId)?.session.socketChanged()
  }

  /** What the mediator says it holds for the proxy when asked (pickup 2.0 status). */
  public holds(connectionId: string, messageCount: number): void {
    this.held.set(connectionId, messageCount)
  }

  /** How many forwards picked up from this mediator the relay has in flight. */
  public relaying(connectionId: string, count: number): void {
    this.inFlight.set(connectionId, count)
  }

  /** The mediator does not answer keylist updates (down, or too slow) while `silent`. */
  public keylistSilent(name: MediatorName, silent: boolean): void {
    if (silent) this.silent.add(name)
    else this.silent.delete(name)
  }

  /** Connecting to this mediator fails. */
  public cannotReach(name: MediatorName): void {
    this.unreachable.add(name)
  }

  /** Holds every set-up at the connection step until the returned function is called. */
  public holdSetups(): () => void {
    let release: () => void = () => undefined
    this.gate = new Promise((resolve) => {
      release = resolve
    })
    return release
  }

  public name(connectionId: string): MediatorName | undefined {
    return this.nameOf.get(connectionId)
  }

  /** Whether the proxy picks up from this mediator, as the object it opened on the channel says. */
  public pickingUp(connectionId: string): boolean {
    return this.opened.get(connectionId)?.isReady ?? false
  }

  public readonly channel = {
    open: async (_agentContext: AgentContext, mediator: UpstreamMediator) => {
      this.opened.set(mediator.id, mediator)
    },
    closeSockets: (mediator: UpstreamMediator, reason: string) => {
      this.closedSockets.push([mediator.id, reason])
    },
    pull: async () => true,
    quiet: async () => true,
    sendAcknowledgement: async () => 'socket',
    socketState: (mediator: UpstreamMediator) => this.sockets.get(mediator.id) ?? 'none',
  }

  public readonly messagePickupApi = {
    // A status request is answered with a status at once: what the mediator holds.
    pickupMessages: jest.fn(async ({ connectionId }: { connectionId: string }) => {
      this.proxy?.mediators.get(connectionId)?.noteStatus(this.held.get(connectionId) ?? 0)
    }),
    setLiveDeliveryMode: jest.fn(async () => undefined),
  }

  public readonly connectionService = {
    findAllByOutOfBandId: (agentContext: AgentContext, outOfBandId: string) =>
      this.connections.findByQuery(agentContext, { outOfBandId }),
    getById: (agentContext: AgentContext, id: string) => this.connections.getById(agentContext, id),
    deleteById: (agentContext: AgentContext, id: string) => this.connections.deleteById(agentContext, id),
    createTrustPing: async () => ({ message: { type: 'https://didcomm.org/trust_ping/1.0/ping' } }),
  }

  public readonly messageSender = { sendMessage: jest.fn(async () => undefined) }

  public readonly recipient = {
    parseInvitation: async (_agentContext: AgentContext, url: string) =>
      new OutOfBandInvitation({ id: url, label: new URL(url).hostname, services: ['did:sov:LjgpST2rjsoxYegQDRm7EL'] }),
    requestMediation: async (agentContext: AgentContext, invitation: OutOfBandInvitation) => {
      await this.gate
      const name = new URL(invitation.id).hostname.split('.')[0] as MediatorName
      if (this.unreachable.has(name)) throw new MediatorUnreachableError(`Could not connect to ${name}`)
      this.setups++
      const received = new OutOfBandRecord({
        role: OutOfBandRole.Receiver,
        state: OutOfBandState.Done,
        outOfBandInvitation: invitation,
      })
      await this.receivedInvitations.save(agentContext, received)
      const connection = new ConnectionRecord({
        role: DidExchangeRole.Requester,
        state: DidExchangeState.Completed,
        outOfBandId: received.id,
        theirLabel: name,
      })
      await this.connections.save(agentContext, connection)
      this.nameOf.set(connection.id, name)
      // Credo opened the mediator's websocket while connecting.
      this.sockets.set(connection.id, 'open')
      const mediation = new MediationRecord({
        role: MediationRole.Recipient,
        state: MediationState.Granted,
        connectionId: connection.id,
        threadId: `mediate-request to ${name}`,
        ...GRANTS[name],
      })
      await this.mediations.save(agentContext, mediation)
      return mediation
    },
    registerRoutingKey: async (agentContext: AgentContext, mediation: MediationRecord) => {
      const proxyKey = await this.proxyOf().state.proxyRoutingKey(agentContext)
      this.keylistUpdates.push({
        mediator: this.mediatorOf(mediation),
        changes: [{ key: proxyKey, action: KeylistUpdateAction.add }],
      })
      return proxyKey
    },
    updateKeylist: async (_agentContext: AgentContext, mediation: MediationRecord, changes: KeylistChange[]) => {
      const mediator = this.mediatorOf(mediation)
      if (this.silent.has(mediator)) throw new MediatorUnreachableError(`${mediator} did not answer`)
      this.keylistUpdates.push({ mediator, changes })
    },
    choosePickupMode: async (_agentContext: AgentContext, mediation: MediationRecord) =>
      this.pickupModes.get(this.mediatorOf(mediation)) ?? 'live',
  }

  public readonly pipeline = {
    relaysInFlightFrom: (connectionId: string) => this.inFlight.get(connectionId) ?? 0,
  }

  public readonly directory = {
    agentsByKey: {
      keys: () => this.agentKeys.values(),
    },
  }

  /** The seams, typed as the classes the proxy takes. */
  public get seams() {
    return {
      channel: this.channel as unknown as UpstreamChannel,
      messagePickupApi: this.messagePickupApi as unknown as MessagePickupApi,
      connectionService: this.connectionService as unknown as ConnectionService,
      messageSender: this.messageSender as unknown as MessageSender,
      recipient: this.recipient as unknown as UpstreamMediationService,
      pipeline: this.pipeline as unknown as RelayPipeline,
      directory: this.directory as unknown as AgentDirectory,
      mediationRepository: this.mediations as unknown as MediationRepository,
      outOfBandRepository: this.receivedInvitations as unknown as OutOfBandRepository,
    }
  }

  public close(): void {
    this.stop$.next(true)
  }

  private proxyOf() {
    if (!this.proxy) throw new Error('no proxy is served: call serve() first')
    return this.proxy
  }

  private mediatorOf(mediation: MediationRecord): MediatorName {
    const name = this.nameOf.get(mediation.connectionId)
    if (!name) throw new Error(`no mediator has connection ${mediation.connectionId}`)
    return name
  }
}
