import type { DownstreamAgentStatus, ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'

/**
 * One external mediator as the module will report it (the issue on several upstream mediators).
 * Declared here, loosely, so the page renders `status.mediators` as soon as the module has it.
 */
export interface MediatorStatusView {
  id: string
  role: 'primary' | 'draining' | string
  endpoint?: string
  pickupMode?: string
  socketState?: string
  reconnects?: number
  lastError?: string
  heldMessages?: number
}

/** An agent with the fields the module is adding; each is shown only when present. */
export type AgentStatusView = DownstreamAgentStatus & {
  recipientKeys?: string[]
  lastDeliveryAt?: string
  failures?: number
}

/**
 * `getStatus()` with the fields that are being added to the module, all optional: the page shows
 * what the module gives and invents nothing.
 */
export type OperatorStatus = Omit<ProxyMediatorStatus, 'agents'> & {
  reason?: string
  mediators?: MediatorStatusView[]
  agents: AgentStatusView[]
}
