import { AgentConfig, type AgentContext, type DependencyManager, type Module } from '@credo-ts/core'
import { ProxyMediatorApi } from './ProxyMediatorApi'
import { ProxyMediatorModuleConfig, type ProxyMediatorModuleConfigOptions } from './ProxyMediatorModuleConfig'
import { KeylistQueryHandler } from './handlers/KeylistQueryHandler'
import { deliveryMiddleware } from './handlers/deliveryMiddleware'
import { didExchangeRequestMiddleware } from './handlers/didExchangeRequestMiddleware'
import { forwardMiddleware } from './handlers/forwardMiddleware'
import { keylistUpdateMiddleware } from './handlers/keylistUpdateMiddleware'
import { mediationRequestMiddleware } from './handlers/mediationRequestMiddleware'
import { statusMiddleware } from './handlers/statusMiddleware'
import { DeadLetterRepository } from './repository/DeadLetterRepository'
import { OutboxRepository } from './repository/OutboxRepository'
import { ProxyMediatorStateRepository } from './repository/ProxyMediatorStateRepository'
import { AgentDirectory } from './services/AgentDirectory'
import { DeadLetterStore } from './services/DeadLetterStore'
import { DownstreamMediationService } from './services/DownstreamMediationService'
import { AttachedDocDidExchangeService } from './services/AttachedDocDidExchangeService'
import { OutboxService } from './services/OutboxService'
import { OwnKeysService } from './services/OwnKeysService'
import { PickupAcknowledger } from './services/PickupAcknowledger'
import { ProxyMediatorStateService } from './services/ProxyMediatorStateService'
import { RelayCounters } from './services/RelayCounters'
import { RelayRetryLoop } from './services/RelayRetryLoop'
import { RelayService } from './services/RelayService'
import { UpstreamMediationService } from './services/UpstreamMediationService'
import { UpstreamPickupService } from './services/UpstreamPickupService'
import { withInboundInterceptor } from './transport/withInboundInterceptor'
import { withKeepalive } from './transport/withKeepalive'
import { DeliveryProcessor } from './services/DeliveryProcessor'
import { UpstreamSocketFastPath } from './services/UpstreamSocketFastPath'

/**
 * Turns a Credo 0.5 agent into a proxy mediator: mediation recipient of an external mediator,
 * mediator of the agents behind it, and an immediate relay of every forward in between.
 * Register it under the key `proxyMediator`; it relies on Credo's default `mediator` and
 * `mediationRecipient` modules and works with any wallet.
 *
 * Set `processDidCommMessagesConcurrently: true` in the agent config. With one message at a
 * time, a Credo agent and the proxy can each wait for the other's HTTP answer (the agent
 * sends its DID exchange `complete` while the proxy sends its grant), and both stall until
 * Credo's 10 s processing timeout. The module's handlers are safe to run concurrently.
 */
export class ProxyMediatorModule implements Module {
  public readonly config: ProxyMediatorModuleConfig
  public readonly api = ProxyMediatorApi

  public constructor(options?: ProxyMediatorModuleConfigOptions) {
    this.config = new ProxyMediatorModuleConfig(options)
  }

  public register(dependencyManager: DependencyManager): void {
    dependencyManager.registerInstance(ProxyMediatorModuleConfig, this.config)
    dependencyManager.registerSingleton(ProxyMediatorStateRepository)
    dependencyManager.registerSingleton(OutboxRepository)
    dependencyManager.registerSingleton(DeadLetterRepository)
    dependencyManager.registerSingleton(DeadLetterStore)
    dependencyManager.registerSingleton(ProxyMediatorStateService)
    dependencyManager.registerSingleton(AgentDirectory)
    dependencyManager.registerSingleton(RelayCounters)
    dependencyManager.registerSingleton(RelayService)
    dependencyManager.registerSingleton(RelayRetryLoop)
    dependencyManager.registerSingleton(OutboxService)
    dependencyManager.registerSingleton(OwnKeysService)
    dependencyManager.registerSingleton(PickupAcknowledger)
    dependencyManager.registerSingleton(DeliveryProcessor)
    dependencyManager.registerSingleton(UpstreamSocketFastPath)
    dependencyManager.registerSingleton(UpstreamMediationService)
    dependencyManager.registerSingleton(UpstreamPickupService)
    dependencyManager.registerSingleton(DownstreamMediationService)
    dependencyManager.registerSingleton(AttachedDocDidExchangeService)

    // Credo's mediator answers no keylist-query; ACA-Py sends one to check its registration.
    dependencyManager.registerMessageHandlers([new KeylistQueryHandler()])

    // Middlewares run before Credo's handlers whatever the module registration order, which a
    // service override would not (the default modules are registered after this one).
    dependencyManager.registerMessageHandlerMiddleware(deliveryMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(statusMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(forwardMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(mediationRequestMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(didExchangeRequestMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(keylistUpdateMiddleware)

    // The agent's dependencies object is shared by every agent made from the same import, so
    // this agent gets its own copy with the wrapped socket rather than a patched original:
    // a keepalive, and the seam of the pickup fast path.
    const agentConfig = dependencyManager.resolve(AgentConfig)
    const dependencies = agentConfig.agentDependencies
    const fastPath = () => dependencyManager.resolve(UpstreamSocketFastPath)
    ;(agentConfig as { agentDependencies: typeof dependencies }).agentDependencies = {
      ...dependencies,
      WebSocketClass: withInboundInterceptor(
        withKeepalive(dependencies.WebSocketClass, this.config.keepaliveIntervalMs),
        (data, socket) => fastPath().intercept(data, socket),
      ),
    }
  }

  public async initialize(agentContext: AgentContext): Promise<void> {
    await agentContext.dependencyManager.resolve(ProxyMediatorStateService).load(agentContext)
  }
}
