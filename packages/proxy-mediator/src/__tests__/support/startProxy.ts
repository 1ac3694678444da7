import type { LogLevel } from '@credo-ts/core'
import { startRoleAgent } from '@proxy-mediator/topology'
import {
  type ProxyMediatorModulesOptions,
  proxyMediatorAgentConfig,
  proxyMediatorModules,
} from '../../proxyMediatorModules'

export interface TestProxyOptions extends ProxyMediatorModulesOptions {
  port: number
  storagePath?: string
  logLevel?: LogLevel
}

/** The proxy as a module user assembles it: `proxyMediatorModules` and `proxyMediatorAgentConfig`. */
export async function startProxy({ port, storagePath, logLevel, ...moduleOptions }: TestProxyOptions) {
  const role = await startRoleAgent({
    label: 'proxy',
    port,
    storagePath,
    logLevel,
    outboundWebsocket: true,
    config: proxyMediatorAgentConfig,
    modules: proxyMediatorModules({ keepaliveIntervalMs: 1000, reconnectBaseDelayMs: 100, ...moduleOptions }),
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
