import type { PickupStrategy } from './models/ProxyMediatorStatus'
import type { EgressOptions } from './transport/Egress'

/**
 * How the agent invitation is written: an out-of-band 1.1 or 1.0 invitation (`?oob=`), or a legacy
 * connections 1.0 invitation (`?c_i=`) for ACA-Py's `/connections/receive-invitation`.
 */
export const AGENT_INVITATION_FORMATS = ['oob/1.1', 'oob/1.0', 'connections/1.0'] as const
export type AgentInvitationFormat = (typeof AGENT_INVITATION_FORMATS)[number]

/**
 * Each ACA-Py takes the first handshake of the invitation that it knows: 0.12 and later take
 * didexchange/1.1, 0.7 to 0.11 skip it and take didexchange/1.0, older ones connections/1.0. Newer
 * ACA-Py releases no longer ship connections/1.0, so it comes last, not first.
 */
export const DEFAULT_AGENT_HANDSHAKE_PROTOCOLS = [
  'https://didcomm.org/didexchange/1.1',
  'https://didcomm.org/didexchange/1.0',
  'https://didcomm.org/connections/1.0',
] as const

/**
 * `proxy`: the agent's grant names the proxy's routing key before the external mediator's, and the
 * proxy opens the forward layer meant for it. `transparent` (RFC 0046: a relay, not a mediator):
 * the grant names the external mediator's keys only, the proxy registers the agent's own keys
 * upstream, and relays the agent's envelopes unopened; the external mediator learns the agent's keys.
 */
export const RELAY_MODES = ['proxy', 'transparent'] as const
export type RelayMode = (typeof RELAY_MODES)[number]

export interface ProxyMediatorModuleConfigOptions {
  /**
   * How to pick messages up from the external mediator. `auto` uses pickup 2.0 live mode
   * over websocket when the mediator offers it, implicit pickup (trust ping with return
   * route) when it offers a websocket but not live mode, and polling otherwise.
   * @default 'auto'
   */
  pickupStrategy?: PickupStrategy
  /**
   * Interval of the websocket ping toward the external mediator. A socket whose pong has not
   * come back by the next ping is terminated and reconnected. 0 disables the keepalive.
   * @default 15000
   */
  keepaliveIntervalMs?: number
  /** First delay before reconnecting upstream; doubles on every failure. @default 500 */
  reconnectBaseDelayMs?: number
  /** Cap of the reconnect delay. @default 30000 */
  reconnectMaxDelayMs?: number
  /** Polling interval when pickup is by polling. @default 5000 */
  pollingIntervalMs?: number
  /**
   * In live mode, how often to ask the mediator for messages it still holds: live delivery
   * pushes only new messages, so one offered again after a failed relay waits for this.
   * @default 30000
   */
  redeliveryCheckIntervalMs?: number
  /**
   * With implicit pickup, how often the proxy sends the external mediator a trust ping that asks for
   * `return_route: all`, besides the one it sends after each message it takes. A mediator like
   * ACA-Py's lets a queued message out only when a message comes in on the session, so this bounds
   * how long a message can wait there when nothing else flows. @default 2000
   */
  pickupPingIntervalMs?: number
  /**
   * The most messages picked up from one external mediator that may be unacknowledged at once:
   * being relayed, or waiting for their turn. While as many are, a status from the mediator is not
   * answered with a delivery-request; the next one is, since the mediator answers every
   * acknowledgement with a status. It also caps each delivery-request. Without it, a backlog at the
   * mediator is pulled into the proxy's memory as fast as the statuses come, far ahead of what the
   * agent takes, and re-offered by the mediator once its visibility timeout passes. Live-mode
   * pushes are the mediator's to send and are not held back. @default 200
   */
  pickupWindow?: number
  /**
   * While the store takes no writes (a full disk), how often to try a write, to learn that it
   * works again and resume. @default 2000
   */
  storageProbeIntervalMs?: number
  /**
   * While the store takes no writes, the most messages taken by implicit pickup that are held in
   * memory (relayed from there) before the proxy closes the sockets of those mediators, so that
   * they keep their messages. Pausing pickup stops the flow first; this bounds what a mediator
   * writes anyway. @default 1000
   */
  maxHeldInMemory?: number
  /**
   * How long an agent's relays must have failed, with none succeeding, before the agent is
   * `failing` and the proxy `degraded`. Shorter outages (an agent restarting) stay quiet. @default 30000
   */
  agentFailingAfterMs?: number
  /** Timeout of one relay POST to an agent. @default 10000 */
  relayTimeoutMs?: number
  /**
   * Relays in flight per agent endpoint (one keep-alive socket each); more wait for a socket, and are
   * not acknowledged meanwhile, so a slow agent holds up only its own messages. @default 16
   */
  relayConcurrencyPerAgent?: number
  /** First delay before retrying a failed relay from the outbox. @default 1000 */
  relayRetryBaseDelayMs?: number
  /** Cap of the relay retry delay. @default 60000 */
  relayRetryMaxDelayMs?: number
  /** Whether the agent invitation can be used by more than one agent. @default true */
  multiUseAgentInvitation?: boolean
  /** Label of the agent invitation. @default the agent's label */
  agentInvitationLabel?: string
  /** How long connecting to the external mediator may take, per step. @default 20000 */
  mediatorTimeoutMs?: number
  /**
   * How long fetching a short invitation URL (one without `oob=`, `c_i=` or `d_m=`) may take in all,
   * redirects and body included. The body is read up to 64 KiB, after at most 3 redirects. A change
   * of mediators waits for it, and every other change is refused meanwhile. @default 10000
   */
  invitationFetchTimeoutMs?: number
  /**
   * The handshake protocols the agent invitation offers, in order of preference. An agent takes
   * the first one it supports. Ignored for the `connections/1.0` format.
   * @default DEFAULT_AGENT_HANDSHAKE_PROTOCOLS (didexchange/1.1, didexchange/1.0, connections/1.0)
   */
  agentHandshakeProtocols?: string[]
  /** The format of the agent invitation. @default 'oob/1.1' */
  agentInvitationFormat?: AgentInvitationFormat
  /**
   * How many dead letters (acknowledged upstream, never relayable) to keep in the store for an
   * operator to inspect; the oldest go first. 0 keeps none. @default 1000
   */
  deadLetterRetention?: number
  /**
   * The largest envelope a dead letter keeps whole, in bytes of its JSON; a larger one is kept as
   * its size and SHA-256 digest only, so that whoever can make the proxy dead-letter a message (an
   * anonymous sender, through the external mediator) cannot fill the disk. Real envelopes are a few
   * KB. @default 65536 (64 KiB)
   */
  deadLetterEnvelopeMaxBytes?: number
  /**
   * The most bytes all dead letters may take together (what they keep of their envelopes, and
   * their reasons); the oldest go first, as with `deadLetterRetention`. @default 16777216 (16 MiB)
   */
  deadLetterStoreMaxBytes?: number
  /**
   * The most recipient keys one mediated agent may register. A keylist-update that would take it
   * past this is refused whole with a problem report that says so. Each key costs a record in the
   * store and two entries in memory; an agent registers one key per connection (ACA-Py).
   * @default 100000
   */
  maxKeysPerAgent?: number
  /** How the proxy relays: see `RelayMode`. @default 'proxy' */
  relayMode?: RelayMode
  /**
   * When the primary external mediator has not been picked up from for this long, new grants to
   * agents name the next mediator that is (a standby first, then a draining one), until the primary
   * is back. Logged and counted. 0 turns failover off. @default 0
   */
  primaryFailoverAfterMs?: number
  /**
   * How the proxy reaches out, for every outbound connection: Credo's HTTP and websocket transports
   * (external mediators, and messages to agents), the invitation fetch and the relay's POSTs.
   * - `proxyUrl`: an HTTP CONNECT proxy (`http://user:password@proxy:3128`; the credentials are sent
   *   as Proxy-Authorization and never logged), or `null` for none whatever the environment says.
   *   @default from the environment, as curl reads it: `https_proxy`/`HTTPS_PROXY` for https and wss,
   *   `http_proxy`/`HTTP_PROXY` for http and ws, then `all_proxy`/`ALL_PROXY`; none if unset
   * - `noProxy`: hosts reached directly (`*`, names with their subdomains, addresses, CIDR blocks).
   *   List the agents' hosts here when a proxy is set: they are inside.
   *   @default `no_proxy`/`NO_PROXY` from the environment
   * - `extraCaCertificates`: PEM CA certificates trusted on top of Node's own and NODE_EXTRA_CA_CERTS,
   *   for a mediator whose certificate a private or company CA signed. There is no way to turn
   *   verification off. @default none
   */
  egress?: EgressOptions
}

/**
 * Every option's default, as the config applies it. Exported so that whoever exposes the options
 * (the runner's flags, env, file, `--help` and CONFIG.md) shows these values and cannot drift.
 */
export const PROXY_MEDIATOR_DEFAULTS = {
  pickupStrategy: 'auto',
  keepaliveIntervalMs: 15_000,
  reconnectBaseDelayMs: 500,
  reconnectMaxDelayMs: 30_000,
  pollingIntervalMs: 5_000,
  redeliveryCheckIntervalMs: 30_000,
  pickupPingIntervalMs: 2_000,
  pickupWindow: 200,
  storageProbeIntervalMs: 2_000,
  maxHeldInMemory: 1_000,
  agentFailingAfterMs: 30_000,
  relayTimeoutMs: 10_000,
  relayConcurrencyPerAgent: 16,
  relayRetryBaseDelayMs: 1_000,
  relayRetryMaxDelayMs: 60_000,
  multiUseAgentInvitation: true,
  agentHandshakeProtocols: DEFAULT_AGENT_HANDSHAKE_PROTOCOLS,
  agentInvitationFormat: 'oob/1.1',
  deadLetterRetention: 1_000,
  deadLetterEnvelopeMaxBytes: 64 * 1024,
  deadLetterStoreMaxBytes: 16 * 1024 * 1024,
  maxKeysPerAgent: 100_000,
  relayMode: 'proxy',
  primaryFailoverAfterMs: 0,
  invitationFetchTimeoutMs: 10_000,
  mediatorTimeoutMs: 20_000,
} as const satisfies {
  [Name in keyof Required<ProxyMediatorModuleConfigOptions>]?: Required<ProxyMediatorModuleConfigOptions>[Name] extends readonly unknown[]
    ? readonly string[]
    : Required<ProxyMediatorModuleConfigOptions>[Name]
}

/**
 * Counts that bound something by room: a pickup window without room never asks the mediator for
 * anything again, relays to an agent without room all wait for a turn that never comes, and a hold
 * limit the count of held messages never equals never closes the mediators' sockets.
 */
const COUNTS_OF_AT_LEAST_ONE = ['pickupWindow', 'relayConcurrencyPerAgent', 'maxHeldInMemory'] as const

export class ProxyMediatorModuleConfig {
  private readonly options: ProxyMediatorModuleConfigOptions

  public constructor(options: ProxyMediatorModuleConfigOptions = {}) {
    // Refused at registration, not a silent stall: below 1 (or NaN), no room is ever free.
    for (const name of COUNTS_OF_AT_LEAST_ONE) {
      const value = options[name]
      if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
        throw new Error(`${name} must be a whole number of at least 1, got ${value}`)
      }
    }
    this.options = options
  }

  public get egress(): EgressOptions {
    return this.options.egress ?? {}
  }

  public get pickupStrategy(): PickupStrategy {
    return this.options.pickupStrategy ?? PROXY_MEDIATOR_DEFAULTS.pickupStrategy
  }

  public get keepaliveIntervalMs(): number {
    return this.options.keepaliveIntervalMs ?? PROXY_MEDIATOR_DEFAULTS.keepaliveIntervalMs
  }

  public get reconnectBaseDelayMs(): number {
    return this.options.reconnectBaseDelayMs ?? PROXY_MEDIATOR_DEFAULTS.reconnectBaseDelayMs
  }

  public get reconnectMaxDelayMs(): number {
    return this.options.reconnectMaxDelayMs ?? PROXY_MEDIATOR_DEFAULTS.reconnectMaxDelayMs
  }

  public get pollingIntervalMs(): number {
    return this.options.pollingIntervalMs ?? PROXY_MEDIATOR_DEFAULTS.pollingIntervalMs
  }

  public get redeliveryCheckIntervalMs(): number {
    return this.options.redeliveryCheckIntervalMs ?? PROXY_MEDIATOR_DEFAULTS.redeliveryCheckIntervalMs
  }

  public get pickupPingIntervalMs(): number {
    return this.options.pickupPingIntervalMs ?? PROXY_MEDIATOR_DEFAULTS.pickupPingIntervalMs
  }

  public get pickupWindow(): number {
    return this.options.pickupWindow ?? PROXY_MEDIATOR_DEFAULTS.pickupWindow
  }

  public get storageProbeIntervalMs(): number {
    return this.options.storageProbeIntervalMs ?? PROXY_MEDIATOR_DEFAULTS.storageProbeIntervalMs
  }

  public get maxHeldInMemory(): number {
    return this.options.maxHeldInMemory ?? PROXY_MEDIATOR_DEFAULTS.maxHeldInMemory
  }

  public get agentFailingAfterMs(): number {
    return this.options.agentFailingAfterMs ?? PROXY_MEDIATOR_DEFAULTS.agentFailingAfterMs
  }

  public get relayTimeoutMs(): number {
    return this.options.relayTimeoutMs ?? PROXY_MEDIATOR_DEFAULTS.relayTimeoutMs
  }

  public get relayConcurrencyPerAgent(): number {
    return this.options.relayConcurrencyPerAgent ?? PROXY_MEDIATOR_DEFAULTS.relayConcurrencyPerAgent
  }

  public get relayRetryBaseDelayMs(): number {
    return this.options.relayRetryBaseDelayMs ?? PROXY_MEDIATOR_DEFAULTS.relayRetryBaseDelayMs
  }

  public get relayRetryMaxDelayMs(): number {
    return this.options.relayRetryMaxDelayMs ?? PROXY_MEDIATOR_DEFAULTS.relayRetryMaxDelayMs
  }

  public get multiUseAgentInvitation(): boolean {
    return this.options.multiUseAgentInvitation ?? PROXY_MEDIATOR_DEFAULTS.multiUseAgentInvitation
  }

  public get agentInvitationLabel(): string | undefined {
    return this.options.agentInvitationLabel
  }

  public get agentHandshakeProtocols(): string[] {
    return this.options.agentHandshakeProtocols ?? [...PROXY_MEDIATOR_DEFAULTS.agentHandshakeProtocols]
  }

  public get agentInvitationFormat(): AgentInvitationFormat {
    return this.options.agentInvitationFormat ?? PROXY_MEDIATOR_DEFAULTS.agentInvitationFormat
  }

  public get deadLetterRetention(): number {
    return this.options.deadLetterRetention ?? PROXY_MEDIATOR_DEFAULTS.deadLetterRetention
  }

  public get deadLetterEnvelopeMaxBytes(): number {
    return this.options.deadLetterEnvelopeMaxBytes ?? PROXY_MEDIATOR_DEFAULTS.deadLetterEnvelopeMaxBytes
  }

  public get deadLetterStoreMaxBytes(): number {
    return this.options.deadLetterStoreMaxBytes ?? PROXY_MEDIATOR_DEFAULTS.deadLetterStoreMaxBytes
  }

  public get maxKeysPerAgent(): number {
    return this.options.maxKeysPerAgent ?? PROXY_MEDIATOR_DEFAULTS.maxKeysPerAgent
  }

  public get relayMode(): RelayMode {
    return this.options.relayMode ?? PROXY_MEDIATOR_DEFAULTS.relayMode
  }

  public get primaryFailoverAfterMs(): number {
    return this.options.primaryFailoverAfterMs ?? PROXY_MEDIATOR_DEFAULTS.primaryFailoverAfterMs
  }

  public get invitationFetchTimeoutMs(): number {
    return this.options.invitationFetchTimeoutMs ?? PROXY_MEDIATOR_DEFAULTS.invitationFetchTimeoutMs
  }

  public get mediatorTimeoutMs(): number {
    return this.options.mediatorTimeoutMs ?? PROXY_MEDIATOR_DEFAULTS.mediatorTimeoutMs
  }
}
