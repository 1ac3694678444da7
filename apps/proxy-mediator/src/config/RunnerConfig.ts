import type {
  AGENT_INVITATION_FORMATS,
  KEY_DERIVATION_METHODS,
  LOG_FORMATS,
  LOG_LEVELS,
  PICKUP_STRATEGIES,
  RELAY_MODES,
  WALLET_BACKENDS,
} from './runnerOptions'

export type PickupStrategyOption = (typeof PICKUP_STRATEGIES)[number]
export type WalletBackend = (typeof WALLET_BACKENDS)[number]
export type RunnerLogLevel = (typeof LOG_LEVELS)[number]
export type LogFormat = (typeof LOG_FORMATS)[number]
export type KeyDerivation = (typeof KEY_DERIVATION_METHODS)[number]
export type AgentInvitationFormatOption = (typeof AGENT_INVITATION_FORMATS)[number]
export type RelayModeOption = (typeof RELAY_MODES)[number]

/** The validated configuration of the runner: every field set, every value checked. */
export interface RunnerConfig {
  host: string
  port: number
  endpoint: string
  label: string
  maxBodySizeBytes: number
  maxEnvelopeRecipients: number
  maxProtectedHeaderBytes: number
  maxWebsockets: number
  maxWebsocketsPerAddress: number
  websocketIdleTimeoutMs: number
  maxConnections: number
  maxConnectionsPerAddress: number
  headersTimeoutMs: number
  requestTimeoutMs: number
  walletBackend: WalletBackend
  walletId: string
  walletKey: string
  walletKeyDerivation: KeyDerivation
  storageDir: string
  mediatorInvitation?: string
  pickupStrategy: PickupStrategyOption
  keepaliveIntervalMs: number
  reconnectMaxDelayMs: number
  pollingIntervalMs: number
  redeliveryCheckIntervalMs: number
  pickupPingIntervalMs: number
  pickupBatchSize: number
  pickupWindow: number
  mediatorTimeoutMs: number
  /** 0: off. */
  primaryFailoverAfterMs: number
  relayMode: RelayModeOption
  relayTimeoutMs: number
  relayConcurrency: number
  agentFailingAfterMs: number
  maxKeysPerAgent: number
  multiUseInvitation: boolean
  /** Full protocol URIs, in order of preference. */
  agentHandshakeProtocols: string[]
  agentInvitationFormat: AgentInvitationFormatOption
  adminApiKey?: string
  /** 0: no limit. */
  maxAdminKeyFailures: number
  adminKeyFailureWindowMs: number
  /** Where the admin routes, the page and /metrics listen; `sharedWithDidcomm` when on the DIDComm listener. */
  admin: { host: string; port: number; sharedWithDidcomm: boolean; insecureMode: boolean }
  /** Both listeners serve HTTPS and WSS with this pair, read again on SIGHUP and on change. */
  tls?: { certFile: string; keyFile: string }
  /** The module's egress: the proxy (null: none, whatever the environment), hosts reached directly, extra CAs. */
  egress: { proxyUrl?: string | null; noProxy?: string; extraCaCertificates?: string[]; caFile?: string }
  logLevel: RunnerLogLevel
  logFormat: LogFormat
  shutdownTimeoutMs: number
}
