export { ProxyMediatorModule } from './ProxyMediatorModule'
export {
  proxyMediatorModules,
  proxyMediatorAgentConfig,
  type ProxyMediatorModulesOptions,
} from './proxyMediatorModules'
export { ProxyMediatorApi } from './ProxyMediatorApi'
export {
  ProxyMediatorModuleConfig,
  type ProxyMediatorModuleConfigOptions,
  type AgentInvitationFormat,
  DEFAULT_AGENT_HANDSHAKE_PROTOCOLS,
} from './ProxyMediatorModuleConfig'
export * from './ProxyMediatorEvents'
export * from './models/ProxyMediatorStatus'
export * from './errors'
export { OutboxRecord, ProxyMediatorStateRecord, DeadLetterRecord } from './repository'
export type { DeadLetter } from './services/DeadLetterStore'
export type { ForwardAcceptance } from './services/OutboxService'
export { RelayHttpClient, type RelayResponse } from './services/RelayHttpClient'
export { withKeepalive } from './transport/withKeepalive'
