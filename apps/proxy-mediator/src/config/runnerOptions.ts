/**
 * The single source of truth for every setting of the runner. The CLI flags, the
 * `PROXY_MEDIATOR_*` environment variables, the config file keys, `--help` and CONFIG.md are
 * all derived from this list, so they cannot drift apart.
 */

import {
  AGENT_INVITATION_FORMATS,
  PICKUP_STRATEGIES,
  PROXY_MEDIATOR_MODULES_DEFAULTS,
  type ProxyMediatorModulesOptions,
  RELAY_MODES,
} from '@proxy-mediator/proxy-mediator'

export type RunnerOptionType = 'string' | 'number' | 'boolean'

/** The module options a runner option sets; its default is the module's (`PROXY_MEDIATOR_MODULES_DEFAULTS`). */
export type ModuleOptionName = keyof typeof PROXY_MEDIATOR_MODULES_DEFAULTS & keyof ProxyMediatorModulesOptions

export interface RunnerOptionDefinition {
  /** The flag name (kebab-case); also the config file key. */
  name: string
  type: RunnerOptionType
  group: string
  description: string
  /** The value used when neither a flag, the environment nor the config file sets it. */
  default?: string | number | boolean
  /** Shown instead of the default when the default is computed or absent. */
  defaultDescription?: string
  choices?: readonly string[]
  /** Never printed back (help shows no value; logs redact it). */
  secret?: boolean
  /** Settable only on the command line or in the environment (e.g. the path of the config file itself). */
  notInConfigFile?: boolean
  /** A whole number in this range, checked with the rest of the configuration. */
  integer?: { min: number; max: number; unit?: 'milliseconds' | 'bytes' }
  /** The module option it sets: the module's default is its default, and the value goes to the module as it is. */
  module?: ModuleOptionName
}

/** The options under one heading of --help and CONFIG.md, in the order they are listed there. */
function group(name: string, options: Array<Omit<RunnerOptionDefinition, 'group'>>): RunnerOptionDefinition[] {
  return options.map((option) => ({ ...option, group: name }))
}

/** A number option that takes whole numbers from `min` to `max` only. */
function wholeNumber(
  min: number,
  max: number,
  unit?: 'milliseconds' | 'bytes',
): Pick<RunnerOptionDefinition, 'type' | 'integer'> {
  return { type: 'number', integer: unit ? { min, max, unit } : { min, max } }
}

/** The longest duration an option takes: a day. */
const MAX_DURATION_MS = 24 * 60 * 60 * 1000
/** A duration option: whole milliseconds from `min` to a day. */
const milliseconds = (min: number) => wholeNumber(min, MAX_DURATION_MS, 'milliseconds')

/** A runner option that sets a module option, with the module's default: nothing restated. */
function moduleOption(module: ModuleOptionName): Pick<RunnerOptionDefinition, 'module' | 'default'> {
  const value = PROXY_MEDIATOR_MODULES_DEFAULTS[module]
  return {
    module,
    default: Array.isArray(value) ? value.map(shortProtocolName).join(',') : (value as string | number | boolean),
  }
}

/** `https://didcomm.org/didexchange/1.1` as the runner's options write it: `didexchange/1.1`. */
export function shortProtocolName(uri: string): string {
  return uri.replace(/^https:\/\/didcomm\.org\//, '')
}

export const WALLET_BACKENDS = ['portable', 'askar'] as const
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'off'] as const
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const
export const KEY_DERIVATION_METHODS = ['argon2i-mod', 'argon2i-int', 'raw'] as const

export const runnerOptions: readonly RunnerOptionDefinition[] = [
  ...group('Network', [
    {
      name: 'host',
      type: 'string',
      description: 'Address the DIDComm listener (HTTP POST and WebSocket upgrade, /health, /ready) binds to.',
      default: '0.0.0.0',
    },
    {
      name: 'port',
      description:
        'Port of the DIDComm endpoint (HTTP POST and WebSocket upgrade), which also answers /health and /ready. The admin routes are on --admin-port.',
      default: 3000,
      ...wholeNumber(1, 65_535),
    },
    {
      name: 'endpoint',
      type: 'string',
      description:
        'Public URL of this proxy as the agent reaches it (http, https, ws or wss), e.g. http://proxy.internal:3000. Required.',
      defaultDescription: '(required)',
    },
    {
      name: 'label',
      type: 'string',
      description: 'Label of the proxy in its invitations and connections.',
      default: 'Proxy Mediator',
    },
    {
      name: 'max-body-size',
      type: 'string',
      description:
        'Largest request body accepted, for DIDComm messages and admin routes alike (bytes, or with a unit: 512kb, 5mb). Larger bodies get 413.',
      default: '5mb',
    },
    {
      name: 'max-envelope-recipients',
      description:
        'Most recipients an inbound envelope may list. Each one costs a key look-up, so a longer list is refused with 400 before any: real senders name a handful (one per device of the recipient).',
      default: 16,
      ...wholeNumber(1, 1_000),
    },
    {
      name: 'max-protected-header-size',
      description:
        'Longest protected header of an inbound envelope, in bytes of base64url; a longer one is refused with 400 before it is decoded. 16 recipients take about 5,000.',
      default: 16_384,
      ...wholeNumber(256, 10_000_000),
    },
    {
      name: 'max-websockets',
      description:
        'Most inbound websockets open at once; more are refused with 503. Frames are bounded by max-body-size.',
      default: 1_000,
      ...wholeNumber(1, 1_000_000),
    },
    {
      name: 'max-websockets-per-address',
      description: 'Most inbound websockets open at once from one remote address; more are refused with 429.',
      default: 50,
      ...wholeNumber(1, 1_000_000),
    },
    {
      name: 'websocket-idle-timeout',
      description:
        'Milliseconds an inbound websocket may stay open without sending a DIDComm message before it is closed.',
      default: 30_000,
      ...milliseconds(1),
    },
    {
      name: 'max-connections',
      description:
        'Most connections open at once on the port (HTTP, keep-alive and websockets alike); more are answered 503 and closed before anything is read. Keep it, with room to spare, under the process file-descriptor limit (ulimit -n).',
      default: 2_000,
      ...wholeNumber(1, 1_000_000),
    },
    {
      name: 'max-connections-per-address',
      description:
        'Most connections open at once from one remote address; more are answered 429 and closed. Behind a reverse proxy every client has its address: raise it, or bound clients there.',
      default: 200,
      ...wholeNumber(1, 1_000_000),
    },
    {
      name: 'headers-timeout',
      description: 'Milliseconds a client may take to send the headers of a request before its connection is closed.',
      default: 10_000,
      ...milliseconds(1),
    },
    {
      name: 'request-timeout',
      description:
        'Milliseconds a client may take to send a whole request, body included, before its connection is closed (at least headers-timeout).',
      default: 30_000,
      ...milliseconds(1),
    },
  ]),
  ...group('Wallet and storage', [
    {
      name: 'wallet-backend',
      type: 'string',
      description:
        'Wallet and storage implementation. `portable` needs no native download. `askar` needs @credo-ts/askar and @hyperledger/aries-askar-nodejs installed separately.',
      default: 'portable',
      choices: WALLET_BACKENDS,
    },
    {
      name: 'wallet-id',
      type: 'string',
      description: 'Name of the wallet inside the storage directory.',
      default: 'proxy-mediator',
    },
    {
      name: 'wallet-key',
      type: 'string',
      description:
        'Key that encrypts the wallet. Required unless wallet-key-file is set. Prefer the env var or the file.',
      secret: true,
      defaultDescription: '(required)',
    },
    {
      name: 'wallet-key-file',
      type: 'string',
      description:
        'File whose content (trimmed) is the wallet key, e.g. a Docker secret. Used when wallet-key is not set.',
    },
    {
      name: 'wallet-key-derivation',
      type: 'string',
      description: 'How the wallet key is turned into an encryption key. `raw` expects a key made by the wallet.',
      default: 'argon2i-mod',
      choices: KEY_DERIVATION_METHODS,
    },
    {
      name: 'storage-dir',
      type: 'string',
      description: 'Directory of the encrypted wallet and store. Keep it across restarts (it holds all the state).',
      defaultDescription: '~/.proxy-mediator',
    },
  ]),
  ...group('External mediator (upstream)', [
    {
      name: 'mediator-invitation',
      type: 'string',
      description:
        'Invitation URL of the external mediator, used at start-up when no mediator is configured yet. The same as POST /mediator-invitation.',
    },
    {
      name: 'pickup-strategy',
      type: 'string',
      description:
        'How messages are picked up upstream: `auto` (by discover-features), `live` (pickup 2.0 over WebSocket), `implicit` (trust ping with return route, for ACA-Py), `poll-v2`, `poll-v1`.',
      ...moduleOption('pickupStrategy'),
      choices: PICKUP_STRATEGIES,
    },
    {
      name: 'keepalive-interval',
      description: 'Milliseconds between WebSocket pings to the external mediator; 0 disables the keepalive.',
      ...moduleOption('keepaliveIntervalMs'),
      ...milliseconds(0),
    },
    {
      name: 'reconnect-max-delay',
      description: 'Cap, in milliseconds, of the backoff between reconnects to the external mediator.',
      ...moduleOption('reconnectMaxDelayMs'),
      ...milliseconds(1),
    },
    {
      name: 'polling-interval',
      description: 'Milliseconds between pickups when picking up by polling.',
      ...moduleOption('pollingIntervalMs'),
      ...milliseconds(1),
    },
    {
      name: 'redelivery-check-interval',
      description:
        'In live mode, milliseconds between asking the external mediator for messages it still holds (offered again after a failed relay or a restart).',
      ...moduleOption('redeliveryCheckIntervalMs'),
      ...milliseconds(1),
    },
    {
      name: 'pickup-ping-interval',
      description:
        'With implicit pickup, milliseconds between the trust pings (with return route) that ask the external mediator for what it holds, besides the one sent after each message taken. An ACA-Py mediator lets a queued message out only when a message comes in, so this bounds how long one waits there when nothing else flows.',
      ...moduleOption('pickupPingIntervalMs'),
      ...milliseconds(1),
    },
    {
      name: 'pickup-batch-size',
      description:
        'Most messages asked for in one pickup 2.0 delivery-request. Larger batches mean fewer protocol round trips per message.',
      ...moduleOption('pickupBatchSize'),
      ...wholeNumber(1, 10_000),
    },
    {
      name: 'pickup-window',
      description:
        'Most messages picked up from one external mediator that may be unacknowledged at once (being relayed, or waiting for a turn). While as many are, the proxy asks that mediator for no more, so a backlog there stays there instead of piling up in memory.',
      ...moduleOption('pickupWindow'),
      ...wholeNumber(1, 100_000),
    },
    {
      name: 'mediator-timeout',
      description: 'Milliseconds each step of connecting to the external mediator may take.',
      ...moduleOption('mediatorTimeoutMs'),
      ...milliseconds(1),
    },
    {
      name: 'primary-failover-after',
      description:
        'Milliseconds the primary external mediator may stay unreachable before new grants name the next mediator that is picked up from (a standby first, else a draining one); logged and counted in proxy_mediator_failovers_total. 0 turns failover off. It changes new grants only; the primary stays primary and is named again once it is back.',
      ...moduleOption('primaryFailoverAfterMs'),
      ...milliseconds(0),
    },
    {
      name: 'invitation-fetch-timeout',
      description: 'Milliseconds a short invitation URL may take to answer with the invitation.',
      ...moduleOption('invitationFetchTimeoutMs'),
      ...milliseconds(1),
    },
  ]),
  ...group('Relay to the agent (downstream)', [
    {
      name: 'relay-mode',
      type: 'string',
      description:
        "`proxy`: the agent's grant names the proxy's routing key before the external mediator's, and the proxy opens the forward layer meant for it. `transparent` (RFC 0046, a relay): the grant names the external mediator's keys only, the proxy registers the agent's own keys with every external mediator and relays the agent's envelopes unopened. The cost: the external mediators learn the agents' keys. Set it before the agents connect: a grant already given keeps its keys.",
      ...moduleOption('relayMode'),
      choices: RELAY_MODES,
    },
    {
      name: 'relay-timeout',
      description: 'Milliseconds one relay POST to the agent may take before it counts as failed.',
      ...moduleOption('relayTimeoutMs'),
      ...milliseconds(1),
    },
    {
      name: 'relay-concurrency',
      description: 'Relays in flight per agent; more wait their turn.',
      ...moduleOption('relayConcurrencyPerAgent'),
      ...wholeNumber(1, 10_000),
    },
    {
      name: 'agent-failing-after',
      description:
        "Milliseconds an agent's relays may keep failing, with none succeeding, before the agent counts as failing: the proxy is then `degraded` (GET /status names the agent and the cause, proxy_mediator_agent_failing is 1). /ready stays 200: pickup still runs.",
      ...moduleOption('agentFailingAfterMs'),
      ...milliseconds(1),
    },
    {
      name: 'max-keys-per-agent',
      description:
        'Most recipient keys one mediated agent may register (keylist-update); an update past it is refused whole with a problem report. ACA-Py registers one key per connection.',
      ...moduleOption('maxKeysPerAgent'),
      ...wholeNumber(1, 10_000_000),
    },
    {
      name: 'multi-use-invitation',
      type: 'boolean',
      description: 'Whether the agent invitation can be used by more than one agent.',
      ...moduleOption('multiUseAgentInvitation'),
    },
    {
      name: 'agent-handshake-protocols',
      type: 'string',
      description:
        'Handshakes the agent invitation offers, comma-separated, in order of preference: an agent takes the first it knows. Any of didexchange/1.1, didexchange/1.0, connections/1.0. The default suits every ACA-Py from 0.7 on (see README, ACA-Py). Ignored with --agent-invitation-format connections/1.0.',
      ...moduleOption('agentHandshakeProtocols'),
    },
    {
      name: 'agent-invitation-format',
      type: 'string',
      description:
        "Format of the agent invitation: an out-of-band invitation (oob/1.1 or oob/1.0, a ?oob= URL), or a legacy connections invitation (connections/1.0, a ?c_i= URL for ACA-Py's /connections/receive-invitation).",
      ...moduleOption('agentInvitationFormat'),
      choices: AGENT_INVITATION_FORMATS,
    },
    {
      name: 'relay-retry-max-delay',
      description:
        'Cap, in milliseconds, of the backoff between attempts to relay a message to an agent that does not answer 2xx. The message is kept (upstream, or in the outbox) and retried until it does.',
      ...moduleOption('relayRetryMaxDelayMs'),
      ...milliseconds(1),
    },
    {
      name: 'dead-letter-retention',
      description:
        'Most dead letters kept for GET /dead-letters and the page (messages the proxy will not relay by itself, still encrypted); the oldest go first. 0 keeps none.',
      ...moduleOption('deadLetterRetention'),
      ...wholeNumber(0, 1_000_000),
    },
    {
      name: 'dead-letter-envelope-max-bytes',
      description:
        'Largest envelope a dead letter keeps whole, in bytes; a larger one is kept as its size and SHA-256 digest only (and cannot be relayed again), so that whoever can make the proxy dead-letter a message does not decide how much it stores.',
      ...moduleOption('deadLetterEnvelopeMaxBytes'),
      ...wholeNumber(0, 1_073_741_824, 'bytes'),
    },
    {
      name: 'dead-letter-store-max-bytes',
      description: 'Most bytes all dead letters may take together; the oldest go first, as with dead-letter-retention.',
      ...moduleOption('deadLetterStoreMaxBytes'),
      ...wholeNumber(0, 1_099_511_627_776, 'bytes'),
    },
    {
      name: 'max-held-in-memory',
      description:
        "While the store takes no writes (a full disk), most messages taken from an implicit-pickup mediator that are relayed from memory; past it, that mediator's sockets are closed so that it keeps the rest.",
      ...moduleOption('maxHeldInMemory'),
      ...wholeNumber(1, 1_000_000),
    },
    {
      name: 'storage-probe-interval',
      description:
        'While the store takes no writes, milliseconds between the writes that find out whether it takes them again.',
      ...moduleOption('storageProbeIntervalMs'),
      ...milliseconds(1),
    },
  ]),
  ...group('Admin routes', [
    {
      name: 'admin-host',
      type: 'string',
      description:
        "Address the admin listener binds to: the admin routes (set-up, /invitation, /mediators, /dead-letters, /status), the operator's page and /metrics. Loopback by default, so that only this machine (or a reverse proxy on it) reaches them, whatever reaches the DIDComm port. Outside loopback, --admin-api-key is required unless --admin-insecure-mode.",
      default: '127.0.0.1',
    },
    {
      name: 'admin-port',
      description:
        'Port of the admin listener. The same value as --port puts the admin routes back on the DIDComm listener (on --host), as before the admin listener existed, for scripts that need one port.',
      default: 3001,
      ...wholeNumber(1, 65_535),
    },
    {
      name: 'admin-insecure-mode',
      type: 'boolean',
      description:
        'Let the admin listener run without --admin-api-key on an address outside loopback (ACA-Py: --admin-insecure-mode). Without it the runner refuses to start that way (exit 2): whoever reaches the address could set the proxy up and take the agent invitation.',
      default: false,
    },
    {
      name: 'admin-api-key',
      type: 'string',
      description:
        "When set, the x-api-key header must carry it to set the proxy up (POST /mediator-invitation, /receive_mediator_invitation), to manage the external mediators (/mediators), to get the agent invitation (GET /invitation, /retrieve_agent_invitation: whoever has it can become a mediated agent), to read, relay again and delete /dead-letters, to read /status/history, /about and the details of /status. /health, /ready, /metrics, the state in /status and the reference (/openapi.json, /api-docs) stay open. Without it the proxy warns at start. With it or without, the admin routes take JSON only and refuse requests from other sites' pages (Origin, Sec-Fetch-Site).",
      secret: true,
    },
    {
      name: 'max-admin-key-failures',
      description:
        "Wrong admin keys one address may give (as x-api-key, or on the operator's sign-in form) within admin-key-failure-window; past it, the address gets 429 with Retry-After, whatever key it sends, until the window ends. Right keys never count, so scripts that call all day are never locked out. 0 turns the limit off.",
      default: 10,
      ...wholeNumber(0, 1_000_000),
    },
    {
      name: 'admin-key-failure-window',
      description: 'Milliseconds over which max-admin-key-failures counts the wrong keys of an address.',
      default: 900_000,
      ...milliseconds(1),
    },
  ]),
  ...group('TLS', [
    {
      name: 'tls-cert',
      type: 'string',
      description:
        "Path of the PEM certificate (with its chain) to serve HTTPS and WSS on both listeners; with --tls-key. Read again on SIGHUP and when the file changes (rotation), without dropping connections; a pair that does not load is logged and the previous one kept. With TLS, the operator's page marks its cookie Secure.",
    },
    {
      name: 'tls-key',
      type: 'string',
      description: 'Path of the PEM private key of --tls-cert.',
    },
  ]),
  ...group('Egress (outbound connections)', [
    {
      name: 'egress-proxy',
      type: 'string',
      description:
        'HTTP CONNECT proxy for every outbound connection (external mediators over https, wss, http and ws, invitation URLs, agents not in --no-proxy), e.g. http://user:password@proxy.corp:3128; credentials are never logged. `none`: no proxy, whatever the environment says. Wins over HTTPS_PROXY, HTTP_PROXY and ALL_PROXY.',
      defaultDescription: 'from HTTPS_PROXY (https, wss) and HTTP_PROXY (http, ws), as curl reads them; none if unset',
      // It may carry the proxy's password.
      secret: true,
    },
    {
      name: 'no-proxy',
      type: 'string',
      description:
        "Hosts reached directly, not through the egress proxy: a comma-separated list of names (with their subdomains), addresses, CIDR blocks, or `*`. List the agents' hosts: they are inside. Wins over NO_PROXY.",
      defaultDescription: 'NO_PROXY from the environment',
    },
    {
      name: 'upstream-ca-file',
      type: 'string',
      description:
        "Path of a PEM file of CA certificates to trust, on top of Node's own and NODE_EXTRA_CA_CERTS, for TLS toward external mediators, invitation URLs and agents: for a mediator whose certificate a private or company CA signed. Verification cannot be turned off; a certificate that does not verify fails with the reason.",
    },
  ]),
  ...group('Logging and operations', [
    {
      name: 'log-level',
      type: 'string',
      description: 'Lowest level that is logged.',
      default: 'info',
      choices: LOG_LEVELS,
    },
    {
      name: 'log-format',
      type: 'string',
      description:
        '`json` (one object per line), `pretty` (readable lines), or `auto`: pretty on a terminal, JSON otherwise.',
      default: 'auto',
      choices: LOG_FORMATS,
    },
    {
      name: 'shutdown-timeout',
      description:
        'Milliseconds a graceful shutdown (SIGTERM/SIGINT) may take before the process exits anyway with status 1.',
      default: 10000,
      ...milliseconds(1),
    },
    {
      name: 'config',
      type: 'string',
      description: 'Path of a YAML or JSON config file whose keys are the option names below.',
      notInConfigFile: true,
    },
  ]),
]

/** `wallet-key` -> `PROXY_MEDIATOR_WALLET_KEY` */
export function envVarName(optionName: string): string {
  return `PROXY_MEDIATOR_${optionName.toUpperCase().replace(/-/g, '_')}`
}
