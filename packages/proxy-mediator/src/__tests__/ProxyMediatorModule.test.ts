import { Agent, AgentConfig, MessageHandlerRegistry } from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'
import { PortableWalletModule } from '@proxy-mediator/portable-wallet'
import { ProxyMediatorApi } from '../ProxyMediatorApi'
import { ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'
import { KeylistQueryMessage } from '../messages/KeylistQueryMessage'
import { didExchangeRequestMiddleware } from '../middlewares/didExchangeRequestMiddleware'
import { keylistUpdateMiddleware } from '../middlewares/keylistUpdateMiddleware'
import { mediationRequestMiddleware } from '../middlewares/mediationRequestMiddleware'
import { proxyMediatorAgentConfig, proxyMediatorModules } from '../proxyMediatorModules'
import { AttachedDocDidExchangeService } from '../services/downstream/AttachedDocDidExchangeService'
import { DeadLetterStore } from '../services/relay/DeadLetterStore'

/** What registering the module does to an agent, before it is initialized. */
describe('ProxyMediatorModule registration', () => {
  const agent = new Agent({
    config: {
      label: 'registration',
      walletConfig: { id: 'registration', key: 'registration' },
      ...proxyMediatorAgentConfig,
    },
    dependencies: agentDependencies,
    modules: {
      ...proxyMediatorModules({ keepaliveIntervalMs: 2_000, deadLetterRetention: 10 }),
      portableWallet: new PortableWalletModule({ inMemory: true }),
    },
  })

  it('exposes the api and its config with the options given', () => {
    expect(agent.modules.proxyMediator).toBeInstanceOf(ProxyMediatorApi)
    const config = agent.dependencyManager.resolve(ProxyMediatorModuleConfig)
    expect(config.keepaliveIntervalMs).toBe(2_000)
    expect(config.deadLetterRetention).toBe(10)
    expect(config.agentInvitationFormat).toBe('oob/1.1')
    expect(agent.config.processDidCommMessagesConcurrently).toBe(true)
  })

  it('registers its services as singletons', () => {
    const { dependencyManager } = agent
    expect(dependencyManager.resolve(DeadLetterStore)).toBe(dependencyManager.resolve(DeadLetterStore))
    expect(dependencyManager.resolve(AttachedDocDidExchangeService)).toBe(
      dependencyManager.resolve(AttachedDocDidExchangeService),
    )
  })

  it('installs its middlewares and the keylist-query handler that Credo lacks', () => {
    const middlewares = agent.dependencyManager.messageHandlerMiddlewares
    for (const middleware of [didExchangeRequestMiddleware, mediationRequestMiddleware, keylistUpdateMiddleware]) {
      expect(middlewares).toContain(middleware)
    }
    const registry = agent.dependencyManager.resolve(MessageHandlerRegistry)
    expect(registry.getHandlerForMessageType(KeylistQueryMessage.type.messageTypeUri)).toBeDefined()
  })

  it('gives this agent its own websocket class (keepalive and pickup seam), leaving the shared one alone', () => {
    const own = agent.dependencyManager.resolve(AgentConfig).agentDependencies.WebSocketClass
    expect(own).not.toBe(agentDependencies.WebSocketClass)
  })
})
