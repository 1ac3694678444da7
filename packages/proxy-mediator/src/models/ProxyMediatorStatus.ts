/**
 * `init`: no external mediator configured yet.
 * `setup`: an external mediator is configured, but pickup is not running (connecting,
 * reconnecting, or waiting for the grant).
 * `ready`: pickup from the external mediator is running; forwards are being relayed.
 * `degraded`: pickup runs, but an agent's relays have been failing for `agentFailingAfterMs`, or
 * the primary external mediator is down and new grants name another (failover). `reason` names who
 * and why. Readiness (`/ready`) is about pickup, so it holds in `degraded` too.
 */
export type ProxyMediatorState = 'init' | 'setup' | 'ready' | 'degraded'

/** How messages are picked up from the external mediator. `auto` chooses by discover-features. */
export const PICKUP_STRATEGIES = ['auto', 'live', 'implicit', 'poll-v2', 'poll-v1'] as const
export type PickupStrategy = (typeof PICKUP_STRATEGIES)[number]

/** The strategy actually in use, once chosen. */
export type ActivePickupMode = Exclude<PickupStrategy, 'auto'>

export type UpstreamSocketState = 'none' | 'connecting' | 'open' | 'closed'

export interface UpstreamStatus {
  mediatorConnectionId?: string
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
  role: UpstreamMediatorRole
  /** `ready` while it is picked up from. */
  state: 'setup' | 'ready'
  /** ISO time it was added. */
  addedAt: string
  /** What it said it holds for the proxy in its last pickup 2.0 status; undefined when it never said. */
  heldMessages?: number
  /** Forwards picked up from it that are being relayed now (not yet acknowledged). */
  relaysInFlight: number
  /** Whether new grants name it now: the primary, or the mediator failed over to. */
  namedInGrants: boolean
}

/**
 * `primary`: its endpoint and routing keys go into new grants to agents. `standby`: picked up from,
 * named in no grant unless the primary fails over to it. `draining`: picked up from, because senders
 * still hold routes through it, and named in no new grant.
 */
export type UpstreamMediatorRole = 'primary' | 'standby' | 'draining'

/** What a change to the external mediators did. */
export interface MediatorChange {
  result: 'added' | 'unchanged' | 'promoted' | 'draining' | 'removed'
  /** The mediator changed (its id). */
  mediatorId: string
  role?: UpstreamMediatorRole
  /** The mediator that was primary before, now draining, when the change moved the primary. */
  previousPrimaryId?: string
  /** The mediator that became primary because the primary was removed (by force). */
  newPrimaryId?: string
  /** How many agents were sent a fresh grant with the new route (sent: Credo agents refuse it, ACA-Py applies it). */
  agentsAnnouncedTo?: number
  /** For a forced removal: what it still held, abandoned. */
  abandoned?: { heldMessages?: number; relaysInFlight: number }
  detail: string
}

export interface DownstreamAgentStatus {
  connectionId: string
  label?: string
  mediationState: string
  /** The number of recipient keys the agent registered with keylist-update. */
  keyCount: number
  /** Those keys, as did:key, in the order they were registered: the first 100 (`keyCount` counts them all). */
  recipientKeys: string[]
  /** The agent's HTTP endpoint, from its DID doc, when known. */
  endpoint?: string
  /** ISO time the agent last answered a relay with 2xx, since the process started. */
  lastDeliveryAt?: string
  /** `failing` once its relays have failed for `agentFailingAfterMs` with none succeeding; else `ok`. */
  state: 'ok' | 'failing'
  /** ISO time its relays started to fail, while none has succeeded since. */
  failingSince?: string
  /** Why its last relay failed, in words (e.g. "connection refused by http://agent:8020: ..."). */
  lastError?: string
  /** Messages for it that are taken and not yet delivered. */
  backlog: number
  /** How long the oldest of them has waited, in ms. */
  oldestUndeliveredMs?: number
  /** Relay attempts to this agent that failed, since the process started. */
  failedAttempts: number
}

/**
 * The relay's counters. Messages and attempts are counted apart: a message that fails three times
 * and is then relayed is one `relayed` message and three `failedAttempts`.
 */
export interface RelayCounters {
  /** Messages POSTed to an agent and answered with a 2xx. */
  relayed: number
  /** Messages that can never be relayed (unknown `to`, unreadable envelope, an agent that keeps refusing it). */
  deadLettered: number
  /**
   * Messages taken and not yet settled: being POSTed, or waiting for their next attempt. The same
   * meaning as a mediator's `relaysInFlight`, which counts those picked up from that mediator.
   */
  inFlight: number
  /** Relay attempts that failed (non-2xx, timeout, refused); a message may fail several times. */
  failedAttempts: number
  /** Messages waiting in the durable outbox (implicit pickup, pickup 1.0, posted forwards). */
  outbox: number
  /**
   * Messages taken by implicit pickup while the store took no writes (a full disk): relayed from
   * memory, and written to the outbox once it takes writes again.
   */
  heldInMemory: number
}

/** Whether the proxy's store takes writes (a full disk does not). */
export interface StorageStatus {
  writable: boolean
  /** ISO time the first write failed; absent while it takes writes. */
  failingSince?: string
  /** In words, e.g. "storage full: SQLITE_FULL: database or disk is full". */
  reason?: string
}

export interface ProxyMediatorStatus {
  status: ProxyMediatorState
  /** Why the state is what it is, in words an operator can act on. */
  reason: string
  /** The primary external mediator (the one of `mediators` whose role is `primary`). */
  upstream: UpstreamStatus
  /** Every external mediator, the primary first. */
  mediators: UpstreamMediatorStatus[]
  /** How often new grants failed over from a primary that was down (`primaryFailoverAfterMs`). */
  failovers: number
  agents: DownstreamAgentStatus[]
  counters: RelayCounters
  storage: StorageStatus
}
