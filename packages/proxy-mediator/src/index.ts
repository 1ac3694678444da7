export { ProxyMediatorModule } from './ProxyMediatorModule'
export {
  proxyMediatorModules,
  proxyMediatorAgentConfig,
  type ProxyMediatorModulesOptions,
  PROXY_MEDIATOR_MODULES_DEFAULTS,
} from './proxyMediatorModules'
export { ProxyMediatorApi, type ForwardAcceptance } from './ProxyMediatorApi'
export {
  ProxyMediatorModuleConfig,
  type ProxyMediatorModuleConfigOptions,
  type AgentInvitationFormat,
  type RelayMode,
  DEFAULT_AGENT_HANDSHAKE_PROTOCOLS,
  PROXY_MEDIATOR_DEFAULTS,
  RELAY_MODES,
  AGENT_INVITATION_FORMATS,
} from './ProxyMediatorModuleConfig'
export * from './ProxyMediatorEvents'
export * from './models/ProxyMediatorStatus'
export * from './errors'
export { OutboxRecord, ProxyMediatorStateRecord, DeadLetterRecord } from './repository'
export type { DeadLetterQuery, DeadLetterSummary } from './services/relay/DeadLetterStore'
export type {
  DeadLetterActor,
  DeadLetterReplayResult,
  DeadLetterView,
  DeadLetterViewPage,
} from './services/relay/DeadLetterOperations'
export { ProxyPickupV2Protocol } from './protocol/ProxyPickupV2Protocol'
export { ProxyConnectionsModule } from './protocol/ProxyConnectionsModule'
export { ProxyDidExchangeProtocol } from './protocol/ProxyDidExchangeProtocol'
export { RelayHttpClient, type RelayResponse } from './services/relay/RelayHttpClient'
export { isEncryptedEnvelope, recipientKids } from './utils/envelope'
export { invitationUrlProblem } from './utils/invitationUrlProblem'
export { withKeepalive } from './transport/withKeepalive'
export { Egress, type EgressOptions, type EgressFailure } from './transport/Egress'
export { egressProxyFor, parseProxyUrl, redactProxyUrl, type EgressProxySettings } from './transport/egressProxyFor'
