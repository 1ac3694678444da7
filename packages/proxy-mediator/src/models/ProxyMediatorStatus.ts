/**
 * `init`: no external mediator configured yet.
 * `setup`: an external mediator is configured, but pickup is not running (connecting,
 * reconnecting, or waiting for the grant).
 * `ready`: pickup from the external mediator is running; forwards are being relayed.
 */
export type ProxyMediatorState = 'init' | 'setup' | 'ready'

/** How messages are picked up from the external mediator. `auto` chooses by discover-features. */
export type PickupStrategy = 'auto' | 'live' | 'implicit' | 'poll-v2' | 'poll-v1'

/** The strategy actually in use, once chosen. */
export type ActivePickupMode = Exclude<PickupStrategy, 'auto'>

export type UpstreamSocketState = 'none' | 'connecting' | 'open' | 'closed'

export interface UpstreamStatus {
  mediatorConnectionId?: string
  mediatorLabel?: string
  /** The external mediator's endpoint, as granted. Senders reach the agent through it. */
  endpoint?: string
  /** The external mediator's routing keys, as did:key. */
  routingKeys: string[]
  /** The proxy's own routing key registered upstream, as did:key. */
  proxyRoutingKey?: string
  pickupMode?: ActivePickupMode
  socketState: UpstreamSocketState
  /** ISO time of the last message picked up (or last pickup response when polling). */
  lastPickupAt?: string
  reconnects: number
  lastError?: string
}

/** One external mediator of the proxy, in `mediators` of the status. */
export interface UpstreamMediatorStatus extends UpstreamStatus {
  /** The id to name it by: the proxy's connection id to it. */
  id: string
  /** `primary`: named in new grants to agents. `draining`: still picked up from, named in no new grant. */
  role: 'primary' | 'draining'
  /** `ready` while it is picked up from. */
  state: 'setup' | 'ready'
  /** ISO time it was added. */
  addedAt: string
}

export interface DownstreamAgentStatus {
  connectionId: string
  label?: string
  mediationState: string
  /** The number of recipient keys the agent registered with keylist-update. */
  keyCount: number
  /** Those keys, as did:key. */
  recipientKeys: string[]
  /** The agent's HTTP endpoint, from its DID doc, when known. */
  endpoint?: string
  /** ISO time the agent last answered a relay with 2xx, since the process started. */
  lastDeliveryAt?: string
  /** Relay attempts to this agent that failed, since the process started. */
  failures: number
}

export interface RelayCounters {
  /** Forwards POSTed to an agent and answered with a 2xx. */
  relayed: number
  /** Relay attempts that failed and will be tried again. */
  retried: number
  /** Relay attempts that failed (non-2xx, timeout, connection refused). */
  failed: number
  /** Forwards that can never be relayed (unknown `to`, unreadable envelope). */
  deadLettered: number
  /** Relays currently in flight. */
  inFlight: number
  /** Messages waiting in the durable outbox (implicit pickup only). */
  outbox: number
}

export interface ProxyMediatorStatus {
  status: ProxyMediatorState
  /** Why the state is what it is, in words an operator can act on. */
  reason: string
  /** The primary external mediator (the one of `mediators` whose role is `primary`). */
  upstream: UpstreamStatus
  /** Every external mediator, the primary first. */
  mediators: UpstreamMediatorStatus[]
  agents: DownstreamAgentStatus[]
  counters: RelayCounters
}
