import { MediationRecipientModule, MediatorModule, MediatorPickupStrategy } from '@credo-ts/core'
import type { LogLevel } from '@credo-ts/core'
import { startRoleAgent } from '@proxy-mediator/topology'
import { ProxyMediatorModule } from '../../ProxyMediatorModule'
import type { ProxyMediatorModuleConfigOptions } from '../../ProxyMediatorModuleConfig'

export interface TestProxyOptions extends ProxyMediatorModuleConfigOptions {
  port: number
  storagePath?: string
  logLevel?: LogLevel
}

/** The proxy as a module user would assemble it: stock mediator modules plus ProxyMediatorModule. */
export async function startProxy({ port, storagePath, logLevel, ...moduleOptions }: TestProxyOptions) {
  const role = await startRoleAgent({
    label: 'proxy',
    port,
    storagePath,
    logLevel,
    outboundWebsocket: true,
    // See ProxyMediatorModule: sequential processing can deadlock with an agent that answers
    // over HTTP only after processing, as Credo agents do.
    config: { processDidCommMessagesConcurrently: true },
    modules: {
      proxyMediator: new ProxyMediatorModule({
        keepaliveIntervalMs: 1000,
        reconnectBaseDelayMs: 100,
        ...moduleOptions,
      }),
      mediator: new MediatorModule({ autoAcceptMediationRequests: false }),
      mediationRecipient: new MediationRecipientModule({ mediatorPickupStrategy: MediatorPickupStrategy.None }),
    },
  })
  await role.agent.modules.proxyMediator.start()
  return {
    ...role,
    api: role.agent.modules.proxyMediator,
    async stop() {
      await role.agent.modules.proxyMediator.stop()
      await role.stop()
    },
  }
}

export type TestProxy = Awaited<ReturnType<typeof startProxy>>
