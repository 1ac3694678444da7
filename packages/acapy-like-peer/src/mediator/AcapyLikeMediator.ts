import { randomUUID } from 'node:crypto'
import { ready } from '../crypto'
import { didKeyOf } from '../dids'
import { b64urlPadded } from '../encoding'
import { Conductor, type ConductorEvents, type ForwardFate } from './Conductor'
import { DeliveryQueue, envelopeTag } from './DeliveryQueue'
import { InboundTransports } from './InboundTransports'
import type { AcapyGeneration, MediatorSettings } from './MediatorSettings'
import { MediatorStore } from './MediatorStore'
import type { Message } from '../messageTypes'
import { registerDiscoverFeaturesHandlers } from './handlers/discoverFeaturesHandlers'
import { registerHandshakeHandlers } from './handlers/handshakeHandlers'
import { registerMediationHandlers } from './handlers/mediationHandlers'
import { registerPickupPluginHandlers } from './handlers/pickupPluginHandlers'
import { registerRoutingHandlers } from './handlers/routingHandlers'
import { registerTrustPingHandlers } from './handlers/trustPingHandlers'
import { typeOf } from '../messageTypes'

export interface AcapyLikeMediatorOptions {
  /** Which line of ACA-Py it behaves as. @default '0.12+' */
  generation?: AcapyGeneration
  /** How the grant writes its routing key. @default 'base58' for 0.7-0.11, 'did:key' for 0.12+ */
  routingKeyForm?: MediatorSettings['routingKeyForm']
  /** `--enable-undelivered-queue`. Without it, a forward that finds no session is dropped. @default true */
  undeliveredQueue?: boolean
  /**
   * Whether the undelivered queue survives a restart. ACA-Py's own lives in memory and does not; a
   * persistent queue plugin (Redis) does. @default false
   */
  persistentQueue?: boolean
  /** `Indicio-tech/acapy-plugin-pickup` loaded: pickup 2.0, shown by discover-features. @default false */
  pickupPlugin?: boolean
  /** `--open-mediation`. @default true */
  openMediation?: boolean
  /**
   * Whether `--endpoint` names the websocket too (after the HTTP endpoint, which the grant names).
   * Without it the websocket transport still listens, but no DID document of the mediator says so.
   * @default true
   */
  advertiseWebsocket?: boolean
  label?: string
  host?: string
}

export type InvitationHandshake = 'connections/1.0' | 'didexchange/1.0' | 'didexchange/1.1'

/** One forwarded message as the mediator saw it, by the tag of the envelope it forwarded. */
export interface ForwardRecord {
  tag: string
  fates: ForwardFate[]
  /** The websocket sessions it was written to (ACA-Py forgets it at that moment). */
  writtenTo: string[]
}

/**
 * An external mediator that behaves on the wire as ACA-Py's does, written from ACA-Py's source (each
 * file names the module it follows) with no Credo code: HTTP and websocket inbound on two ports,
 * the handshakes of either generation, coordinate-mediation, routing, trust ping, discover
 * features, the undelivered queue, and optionally the pickup plugin. Core ACA-Py has no pickup
 * protocol: it writes to an open session whose latest inbound message asked for
 * `return_route: all`, one message at a time, and a message written to a socket counts as
 * delivered. `stop` and `start` again are a restart: the wallet (keys, connections, routes) is
 * kept, the queue only with `persistentQueue`.
 */
export class AcapyLikeMediator {
  public readonly store = new MediatorStore()
  public readonly settings: MediatorSettings
  /** Every forward, by the tag of the envelope forwarded, in the order they came. */
  public readonly forwards = new Map<string, ForwardRecord>()
  public readonly problemReports: Message[] = []
  /** Messages handed out in pickup 2.0 deliveries (with the pickup plugin), re-deliveries included. */
  public pickupDeliveries = 0
  private readonly transports: InboundTransports
  private conductor: Conductor
  private ports = { httpPort: 0, wsPort: 0 }
  private running = false

  private constructor(private readonly options: AcapyLikeMediatorOptions) {
    const generation = options.generation ?? '0.12+'
    this.settings = {
      generation,
      routingKeyForm: options.routingKeyForm ?? (generation === '0.7-0.11' ? 'base58' : 'did:key'),
      openMediation: options.openMediation ?? true,
      endpoints: [],
      label: options.label ?? 'ACA-Py-like mediator',
    }
    this.transports = new InboundTransports(() => this.conductor, this.events, options.host ?? '127.0.0.1')
    this.conductor = this.newConductor(this.newQueue())
  }

  public static async start(options: AcapyLikeMediatorOptions = {}): Promise<AcapyLikeMediator> {
    await ready()
    const mediator = new AcapyLikeMediator(options)
    await mediator.start()
    return mediator
  }

  /** Listens (on the same ports as before, after a `stop`), with the wallet as it was. */
  public async start(): Promise<void> {
    if (this.running) return
    if (!this.options.persistentQueue) this.conductor = this.newConductor(this.newQueue())
    this.ports = await this.transports.start(this.ports.httpPort, this.ports.wsPort)
    const host = this.options.host ?? '127.0.0.1'
    const endpoints = [`http://${host}:${this.ports.httpPort}`, `ws://${host}:${this.ports.wsPort}`]
    if (this.options.advertiseWebsocket === false) endpoints.pop()
    this.settings.endpoints.splice(0, this.settings.endpoints.length, ...endpoints)
    this.running = true
  }

  /**
   * Ends the process. `graceful` (the default: a restart) closes each websocket after what was
   * written to it, and puts a message still buffered back in the queue; `crash` cuts every socket,
   * and what was buffered is lost. Either way the queue is lost unless it is persistent.
   */
  public async stop(how: 'graceful' | 'crash' = 'graceful'): Promise<void> {
    if (!this.running) return
    this.running = false
    if (how === 'crash') this.conductor.sessions.clear()
    await this.transports.stop(how)
    this.conductor.sessions.clear()
  }

  public get endpoints(): string[] {
    return [...this.settings.endpoints]
  }

  /** Messages in the undelivered queue. */
  public get queuedMessages(): number {
    return this.conductor.queue?.size ?? 0
  }

  /** Open inbound sessions (websockets, and HTTP requests being answered). */
  public get openSessions(): number {
    return this.conductor.sessions.size
  }

  /**
   * An invitation as ACA-Py's admin API or `--invite` makes one: a `c_i` connections invitation for
   * connections/1.0, else an out-of-band one (1.0 up to ACA-Py 0.11, 1.1 later) offering the given
   * handshakes in order, on the HTTP endpoint.
   */
  public createInvitationUrl(handshakes: InvitationHandshake[], { multiUse = true } = {}): string {
    const key = this.store.newKey()
    const id = randomUUID()
    this.store.invitations.set(id, { key, multiUse, used: false })
    const [endpoint] = this.settings.endpoints
    if (handshakes.length === 1 && handshakes[0] === 'connections/1.0') {
      const invitation = {
        '@type': typeOf('connections/1.0/invitation'),
        '@id': id,
        label: this.settings.label,
        recipientKeys: [key.verkey],
        serviceEndpoint: endpoint,
      }
      return `${endpoint}?c_i=${b64urlPadded(Buffer.from(JSON.stringify(invitation)))}`
    }
    const invitation = {
      '@type': typeOf(`out-of-band/${this.settings.generation === '0.7-0.11' ? '1.0' : '1.1'}/invitation`),
      '@id': id,
      label: this.settings.label,
      handshake_protocols: handshakes.map((handshake) => typeOf(handshake)),
      services: [
        { id: '#inline', type: 'did-communication', recipientKeys: [didKeyOf(key.verkey)], serviceEndpoint: endpoint },
      ],
    }
    return `${endpoint}?oob=${b64urlPadded(Buffer.from(JSON.stringify(invitation)))}`
  }

  private readonly events: ConductorEvents = {
    written: (session, message) => {
      if (message.encPayload) this.recordOf(message.encPayload)?.writtenTo.push(session.id)
    },
    forwarded: (fate, message) => {
      if (message.encPayload) this.recordOf(message.encPayload, true)?.fates.push(fate)
    },
    problemReport: (message) => {
      this.problemReports.push(message)
    },
    pickedUp: (count) => {
      this.pickupDeliveries += count
    },
  }

  private recordOf(encPayload: string, create = false): ForwardRecord | undefined {
    const tag = envelopeTag(encPayload)
    let record = this.forwards.get(tag)
    if (!record && create) {
      record = { tag, fates: [], writtenTo: [] }
      this.forwards.set(tag, record)
    }
    return record
  }

  private newQueue(): DeliveryQueue | undefined {
    return this.options.undeliveredQueue === false ? undefined : new DeliveryQueue()
  }

  private newConductor(queue: DeliveryQueue | undefined): Conductor {
    const conductor = new Conductor(this.store, queue, this.events)
    registerHandshakeHandlers(conductor, this.store, this.settings)
    registerMediationHandlers(conductor, this.store, this.settings)
    registerRoutingHandlers(conductor, this.store, this.events)
    registerTrustPingHandlers(conductor)
    registerDiscoverFeaturesHandlers(conductor, () => this.protocols())
    if (this.options.pickupPlugin) registerPickupPluginHandlers(conductor, this.events)
    return conductor
  }

  /** What discover-features discloses: the protocols registered (connections/1.0 until ACA-Py 1.2). */
  private protocols(): string[] {
    return [
      'connections/1.0',
      'didexchange/1.0',
      ...(this.settings.generation === '0.12+' ? ['didexchange/1.1'] : []),
      'coordinate-mediation/1.0',
      'routing/1.0',
      'trust_ping/1.0',
      'discover-features/1.0',
      'basicmessage/1.0',
      ...(this.options.pickupPlugin ? ['messagepickup/2.0'] : []),
    ]
  }
}
