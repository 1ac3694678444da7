import type { ProxyMediatorModulesOptions } from '@proxy-mediator/proxy-mediator'
import type {
  KEY_DERIVATION_METHODS,
  LOG_FORMATS,
  LOG_LEVELS,
  ModuleOptionName,
  WALLET_BACKENDS,
} from './runnerOptions'

export type WalletBackend = (typeof WALLET_BACKENDS)[number]
export type RunnerLogLevel = (typeof LOG_LEVELS)[number]
export type LogFormat = (typeof LOG_FORMATS)[number]
export type KeyDerivation = (typeof KEY_DERIVATION_METHODS)[number]

/** The module's options the runner sets, each from the runner option that names it (`runnerOptions`' `module`). */
export type RunnerModuleOptions = Pick<ProxyMediatorModulesOptions, ModuleOptionName>

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
  /** What the runner passes to `proxyMediatorModules`, besides the label and the egress. */
  module: RunnerModuleOptions
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
