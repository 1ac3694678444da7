import {
  AgentConfig,
  type AgentContext,
  type DependencyManager,
  DidExchangeProtocol,
  MessagePickupModuleConfig,
  type Module,
} from '@credo-ts/core'
import { ProxyHealth } from './ProxyHealth'
import { ProxyMediatorApi } from './ProxyMediatorApi'
import { ProxyMediatorLifecycle } from './ProxyMediatorLifecycle'
import { ProxyMediatorModuleConfig, type ProxyMediatorModuleConfigOptions } from './ProxyMediatorModuleConfig'
import { ProxyMediatorStateService } from './ProxyMediatorStateService'
import { DidExchangeRefusalHandler } from './handlers/DidExchangeRefusalHandler'
import { KeylistQueryHandler } from './handlers/KeylistQueryHandler'
import { didExchangeRequestMiddleware } from './middlewares/didExchangeRequestMiddleware'
import { forwardMiddleware } from './middlewares/forwardMiddleware'
import { keylistUpdateMiddleware } from './middlewares/keylistUpdateMiddleware'
import { mediationRequestMiddleware } from './middlewares/mediationRequestMiddleware'
import { upstreamSetupMiddleware } from './middlewares/upstreamSetupMiddleware'
import { ProxyDidExchangeProtocol } from './protocol/ProxyDidExchangeProtocol'
import { ProxyPickupV2Protocol } from './protocol/ProxyPickupV2Protocol'
import { AgentKeyRepository } from './repository/AgentKeyRepository'
import { DeadLetterRepository } from './repository/DeadLetterRepository'
import { OutboxRepository } from './repository/OutboxRepository'
import { ProxyMediatorStateRepository } from './repository/ProxyMediatorStateRepository'
import { StorageProbeRepository } from './repository/StorageProbeRepository'
import { AgentKeylists } from './services/downstream/AgentKeylists'
import { AttachedDocDidExchangeService } from './services/downstream/AttachedDocDidExchangeService'
import { DownstreamMediationService } from './services/downstream/DownstreamMediationService'
import { AgentDirectory } from './services/relay/AgentDirectory'
import { DeadLetterOperations } from './services/relay/DeadLetterOperations'
import { DeadLetterStore } from './services/relay/DeadLetterStore'
import { LiveRelayCounters } from './services/relay/LiveRelayCounters'
import { OwnKeysService } from './services/relay/OwnKeysService'
import { PostedForwards } from './services/relay/PostedForwards'
import { RelayPipeline } from './services/relay/RelayPipeline'
import { StorageHealth } from './services/relay/StorageHealth'
import { ReceivedMediatorInvitations } from './services/upstream/ReceivedMediatorInvitations'
import { UpstreamChannel } from './services/upstream/UpstreamChannel'
import { UpstreamFailover } from './services/upstream/UpstreamFailover'
import { UpstreamMediationService } from './services/upstream/UpstreamMediationService'
import { UpstreamMediatorFactory } from './services/upstream/UpstreamMediatorFactory'
import { UpstreamMediatorSet } from './services/upstream/UpstreamMediatorSet'
import { UpstreamMediators } from './services/upstream/UpstreamMediators'
import { UpstreamSetupWatch } from './services/upstream/UpstreamSetupWatch'
import { Egress } from './transport/Egress'
import { withEgress } from './transport/withEgress'
import { withKeepalive } from './transport/withKeepalive'

/**
 * Turns a Credo 0.5 agent into a proxy mediator: mediation recipient of an external mediator,
 * mediator of the agents behind it, and an immediate relay of every forward in between.
 * Register it with `proxyMediatorModules()`, which sets Credo's mediator, mediation recipient,
 * message pickup (with `ProxyPickupV2Protocol`) and connections modules the one way that works.
 *
 * Set `processDidCommMessagesConcurrently: true` in the agent config (`proxyMediatorAgentConfig`).
 * With one message at a time, a Credo agent and the proxy can each wait for the other's HTTP answer
 * (the agent sends its DID exchange `complete` while the proxy sends its grant), and both stall
 * until Credo's 10 s processing timeout. The module's handlers are safe to run concurrently.
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
    dependencyManager.registerSingleton(StorageProbeRepository)
    dependencyManager.registerSingleton(StorageHealth)
    dependencyManager.registerSingleton(AgentKeyRepository)
    dependencyManager.registerSingleton(ProxyMediatorStateService)
    dependencyManager.registerSingleton(DeadLetterStore)
    dependencyManager.registerSingleton(DeadLetterOperations)
    dependencyManager.registerSingleton(AgentDirectory)
    dependencyManager.registerSingleton(AgentKeylists)
    dependencyManager.registerSingleton(LiveRelayCounters)
    dependencyManager.registerSingleton(RelayPipeline)
    dependencyManager.registerSingleton(UpstreamMediatorSet)
    dependencyManager.registerSingleton(UpstreamFailover)
    dependencyManager.registerSingleton(UpstreamChannel)
    dependencyManager.registerSingleton(UpstreamSetupWatch)
    dependencyManager.registerSingleton(UpstreamMediationService)
    dependencyManager.registerSingleton(ReceivedMediatorInvitations)
    dependencyManager.registerSingleton(UpstreamMediatorFactory)
    dependencyManager.registerSingleton(UpstreamMediators)
    dependencyManager.registerSingleton(DownstreamMediationService)
    dependencyManager.registerSingleton(AttachedDocDidExchangeService)
    dependencyManager.registerSingleton(OwnKeysService)
    dependencyManager.registerSingleton(PostedForwards)
    dependencyManager.registerSingleton(ProxyHealth)
    dependencyManager.registerSingleton(ProxyMediatorLifecycle)

    // Credo's mediator answers no keylist-query; ACA-Py sends one to check its registration. Credo
    // drops RFC 0023's problem_report, with which ACA-Py as the external mediator refuses a request.
    dependencyManager.registerMessageHandlers([new KeylistQueryHandler(), new DidExchangeRefusalHandler()])

    // Where Credo has no seam: middlewares run before Credo's handlers whatever the module
    // registration order, which a service override would not (the default modules register later).
    // First, so that it sees what the others throw while an external mediator is being set up.
    dependencyManager.registerMessageHandlerMiddleware(upstreamSetupMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(forwardMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(mediationRequestMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(didExchangeRequestMiddleware)
    dependencyManager.registerMessageHandlerMiddleware(keylistUpdateMiddleware)

    // The agent's dependencies object is shared by every agent made from the same import, so this
    // agent gets its own copy with the wrapped socket rather than a patched original: egress (the
    // proxy and CAs), a keepalive, and the upstream channel's seam. Its fetch, which Credo's HTTP
    // transport takes at start, goes out by the same egress rule.
    const egress = new Egress(this.config.egress)
    dependencyManager.registerInstance(Egress, egress)
    const agentConfig = dependencyManager.resolve(AgentConfig)
    const dependencies = agentConfig.agentDependencies
    ;(agentConfig as { agentDependencies: typeof dependencies }).agentDependencies = {
      ...dependencies,
      fetch: egress.fetch,
      WebSocketClass: UpstreamChannel.wrapWebSocketClass(
        withKeepalive(withEgress(dependencies.WebSocketClass, egress), this.config.keepaliveIntervalMs),
        () => dependencyManager.resolve(UpstreamChannel),
      ),
    }
  }

  public async initialize(agentContext: AgentContext): Promise<void> {
    const { protocols } = agentContext.dependencyManager.resolve(MessagePickupModuleConfig)
    if (!protocols.some((protocol) => protocol instanceof ProxyPickupV2Protocol)) {
      // Stock pickup 2.0 acknowledges a delivery before anything was relayed: messages would be lost.
      throw new Error(
        'The proxy mediator needs ProxyPickupV2Protocol in MessagePickupModule({ protocols }); register the modules with proxyMediatorModules().',
      )
    }
    if (!(agentContext.dependencyManager.resolve(DidExchangeProtocol) instanceof ProxyDidExchangeProtocol)) {
      // Not fatal: a Credo mediator answers in a way Credo takes; an ACA-Py 0.7-0.11 one does not.
      agentContext.config.logger.warn(
        "Credo's own DID exchange is registered: set-up with an ACA-Py external mediator fails on its legacy answers. Register ProxyConnectionsModule (proxyMediatorModules() does).",
      )
    }
    await agentContext.dependencyManager.resolve(ProxyMediatorStateService).load(agentContext)
  }
}
