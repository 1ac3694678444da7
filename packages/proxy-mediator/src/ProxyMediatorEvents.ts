import type { BaseEvent } from '@credo-ts/core'
import type { ProxyMediatorState } from './models/ProxyMediatorStatus'

export enum ProxyMediatorEventTypes {
  MessageRelayed = 'ProxyMediatorMessageRelayed',
  RelayFailed = 'ProxyMediatorRelayFailed',
  MessageDeadLettered = 'ProxyMediatorMessageDeadLettered',
  StateChanged = 'ProxyMediatorStateChanged',
  /** Internal: the upstream state (init, setup, ready) or the mediator new grants name changed. */
  UpstreamChanged = 'ProxyMediatorUpstreamChanged',
  /** Internal: an agent's relays started to fail, or succeed again. */
  AgentHealthChanged = 'ProxyMediatorAgentHealthChanged',
}

export interface MessageRelayedEvent extends BaseEvent {
  type: ProxyMediatorEventTypes.MessageRelayed
  payload: { recipientKey: string; connectionId: string; endpoint: string; status: number; latencyMs: number }
}

export interface RelayFailedEvent extends BaseEvent {
  type: ProxyMediatorEventTypes.RelayFailed
  payload: { recipientKey: string; connectionId: string; endpoint: string; reason: string; attempt: number }
}

export interface MessageDeadLetteredEvent extends BaseEvent {
  type: ProxyMediatorEventTypes.MessageDeadLettered
  payload: { recipientKey?: string; reason: string }
}

export interface ProxyMediatorStateChangedEvent extends BaseEvent {
  type: ProxyMediatorEventTypes.StateChanged
  /** `reason` says why, in words: for `degraded`, who is failing and why. */
  payload: { previousState: ProxyMediatorState; state: ProxyMediatorState; reason: string }
}

export interface UpstreamChangedEvent extends BaseEvent {
  type: ProxyMediatorEventTypes.UpstreamChanged
  payload: Record<string, never>
}

export interface AgentHealthChangedEvent extends BaseEvent {
  type: ProxyMediatorEventTypes.AgentHealthChanged
  payload: { connectionId: string; failing: boolean }
}
