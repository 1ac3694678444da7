import type { EncryptedMessage } from '@credo-ts/core'
import type {
  DeadLetterActor,
  DeadLetterQuery,
  DeadLetterReplayResult,
  DeadLetterViewPage,
  ForwardAcceptance,
  MediatorChange,
  ProxyMediatorStatus,
} from '@proxy-mediator/proxy-mediator'

/**
 * The part of `agent.modules.proxyMediator` the routes use. Routes depend on this narrow
 * shape rather than on the agent, so they can be tested without one.
 */
export interface ProxyMediatorControl {
  getStatus(): ProxyMediatorStatus
  getAgentInvitation(): Promise<{ invitationUrl: string }>
  connectToMediator(
    invitationUrl: string,
    options?: { primary?: boolean },
  ): Promise<ProxyMediatorStatus & { change: MediatorChange }>
  promoteMediator(id: string): Promise<MediatorChange>
  drainMediator(id: string): Promise<MediatorChange>
  removeMediator(id: string, options?: { force?: boolean }): Promise<MediatorChange>
  announceRoute(): Promise<number>
  isAddressedToProxy(envelope: EncryptedMessage): Promise<boolean>
  acceptForward(envelope: EncryptedMessage): Promise<ForwardAcceptance>
  getDeadLetterPage(query?: DeadLetterQuery): Promise<DeadLetterViewPage>
  replayDeadLetters(ids: readonly string[], actor?: DeadLetterActor): Promise<DeadLetterReplayResult>
  replayDeadLettersOf(connectionId: string, actor?: DeadLetterActor): Promise<DeadLetterReplayResult>
  deleteDeadLetters(ids: readonly string[], actor?: DeadLetterActor): Promise<number>
  deleteAllDeadLetters(options?: { connectionId?: string } & DeadLetterActor): Promise<number>
}

/** Undefined while the agent is still starting (wallet opening, transports starting). */
export type ProxyMediatorControlProvider = () => ProxyMediatorControl | undefined
