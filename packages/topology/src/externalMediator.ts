import { MediatorModule, MessagePickupModule } from '@credo-ts/core'
import type { LogLevel } from '@credo-ts/core'
import type express from 'express'
import { RedeliveringMessageQueue } from './RedeliveringMessageQueue'
import { type RoleAgent, type RoleTls, startRoleAgent } from './buildAgent'

// The enum is not exported from Credo's index (see credo-0.5.md); these are its values.
export type MessageForwarding = 'QueueOnly' | 'QueueAndLiveModeDelivery' | 'DirectDelivery'

export interface ExternalMediatorOptions {
  port: number
  /** The base URL to advertise. @default http://127.0.0.1:<port> */
  endpoint?: string
  label?: string
  storagePath?: string
  /** @default 'QueueAndLiveModeDelivery' */
  messageForwarding?: MessageForwarding
  queue?: RedeliveringMessageQueue
  logLevel?: LogLevel
  /** Its endpoints over HTTPS and WSS with this certificate. */
  tls?: RoleTls
  /** An express app with routes of its own; the DIDComm endpoint is POST /. */
  app?: express.Express
}

export type ExternalMediatorModules = { mediator: MediatorModule; messagePickup: MessagePickupModule }

export interface ExternalMediator extends RoleAgent<ExternalMediatorModules> {
  queue: RedeliveringMessageQueue
  /** A fresh multi-use invitation URL of the mediator. */
  createInvitationUrl(options?: { legacy?: boolean }): Promise<string>
}

/** A stock Credo mediator on HTTP + WS: the "external mediator" on the internet side. */
export async function startExternalMediator(options: ExternalMediatorOptions): Promise<ExternalMediator> {
  const queue = options.queue ?? new RedeliveringMessageQueue()
  const role = await startRoleAgent({
    label: options.label ?? 'external-mediator',
    port: options.port,
    endpoint: options.endpoint,
    websocket: true,
    outboundWebsocket: true,
    storagePath: options.storagePath,
    logLevel: options.logLevel,
    tls: options.tls,
    app: options.app,
    modules: {
      mediator: new MediatorModule({
        autoAcceptMediationRequests: true,
        // biome-ignore lint/suspicious/noExplicitAny: Credo does not export the enum; its values are strings.
        messageForwardingStrategy: (options.messageForwarding ?? 'QueueAndLiveModeDelivery') as any,
      }),
      messagePickup: new MessagePickupModule({ messagePickupRepository: queue }),
    },
  })
  return {
    ...role,
    queue,
    async createInvitationUrl({ legacy = false } = {}) {
      const baseUrl = role.endpoints[0]
      if (legacy) {
        const { invitation } = await role.agent.oob.createLegacyInvitation({ multiUseInvitation: true })
        return invitation.toUrl({ domain: baseUrl, useDidSovPrefixWhereAllowed: true })
      }
      const record = await role.agent.oob.createInvitation({ multiUseInvitation: true })
      return record.outOfBandInvitation.toUrl({ domain: baseUrl })
    },
  }
}
