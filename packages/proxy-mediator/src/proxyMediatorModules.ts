import {
  type InitConfig,
  MediationRecipientModule,
  MediatorModule,
  MediatorPickupStrategy,
  MessagePickupModule,
  V1MessagePickupProtocol,
  V2MessagePickupProtocol,
} from '@credo-ts/core'
import { ProxyMediatorModule } from './ProxyMediatorModule'
import { PROXY_MEDIATOR_DEFAULTS, type ProxyMediatorModuleConfigOptions } from './ProxyMediatorModuleConfig'
import { ProxyConnectionsModule } from './protocol/ProxyConnectionsModule'
import { ProxyPickupV2Protocol } from './protocol/ProxyPickupV2Protocol'

export interface ProxyMediatorModulesOptions extends ProxyMediatorModuleConfigOptions {
  /**
   * The most messages the external mediator may put in one pickup 2.0 delivery. Credo's default
   * of 10 costs a round trip for every 10 messages. @default 100
   */
  pickupBatchSize?: number
}

/** Every option's default, the module's and `pickupBatchSize`: what the runner shows and applies. */
export const PROXY_MEDIATOR_MODULES_DEFAULTS = {
  ...PROXY_MEDIATOR_DEFAULTS,
  pickupBatchSize: 100,
} as const

/**
 * Every module a proxy mediator needs, set the one way that works: the proxy module; Credo's
 * mediator, which must not grant on its own (the module grants once upstream is ready, and only to
 * agents that came through its invitation); the mediation recipient, whose own pickup loop must be
 * off (the module picks up, and acknowledges only after the relay); message pickup, whose pickup 2.0
 * hands deliveries from the external mediator to the relay (`ProxyPickupV2Protocol`); connections
 * that accept the agents' requests, and whose DID exchange takes ACA-Py's answers when the proxy
 * connects to an ACA-Py mediator (`ProxyConnectionsModule`). Spread it into the agent's modules, next to a wallet module.
 */
export function proxyMediatorModules(options: ProxyMediatorModulesOptions = {}) {
  const { pickupBatchSize = PROXY_MEDIATOR_MODULES_DEFAULTS.pickupBatchSize, ...moduleOptions } = options
  return {
    proxyMediator: new ProxyMediatorModule(moduleOptions),
    mediator: new MediatorModule({ autoAcceptMediationRequests: false }),
    mediationRecipient: new MediationRecipientModule({ mediatorPickupStrategy: MediatorPickupStrategy.None }),
    messagePickup: new MessagePickupModule({
      maximumBatchSize: pickupBatchSize,
      // Typed as Credo's defaults, so the agent's `modules.messagePickup` API keeps its types.
      protocols: [new V1MessagePickupProtocol(), new ProxyPickupV2Protocol()] as [
        V1MessagePickupProtocol,
        V2MessagePickupProtocol,
      ],
    }),
    // Credo's, with the DID exchange that ACA-Py as the external mediator needs (ProxyDidExchangeProtocol).
    connections: new ProxyConnectionsModule({ autoAcceptConnections: true }),
  }
}

/**
 * The agent configuration the proxy needs. With one message at a time, a Credo agent and the proxy
 * can each wait for the other's HTTP answer during set-up (the agent sends its DID exchange
 * `complete` while the proxy sends its grant), and both stall until Credo's 10 s timeout.
 */
export const proxyMediatorAgentConfig = {
  processDidCommMessagesConcurrently: true,
} as const satisfies Partial<InitConfig>
