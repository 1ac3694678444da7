import type { EncryptedMessage } from '@credo-ts/core'
import type { DeadLetter, ForwardAcceptance, ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'

/**
 * The part of `agent.modules.proxyMediator` the routes use. Routes depend on this narrow
 * shape rather than on the agent, so they can be tested without one.
 */
export interface ProxyMediatorControl {
  getStatus(): ProxyMediatorStatus
  getAgentInvitation(): Promise<{ invitationUrl: string }>
  connectToMediator(invitationUrl: string): Promise<unknown>
  isAddressedToProxy(envelope: EncryptedMessage): Promise<boolean>
  acceptForward(envelope: EncryptedMessage): Promise<ForwardAcceptance>
  getDeadLetters(limit?: number): Promise<DeadLetter[]>
}

/** Undefined while the agent is still starting (wallet opening, transports starting). */
export type ProxyMediatorControlProvider = () => ProxyMediatorControl | undefined
