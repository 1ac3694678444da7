import { ConnectionsModule, type DependencyManager, DidExchangeProtocol, type FeatureRegistry } from '@credo-ts/core'
import { ProxyDidExchangeProtocol } from './ProxyDidExchangeProtocol'

/**
 * Credo's connections module with `ProxyDidExchangeProtocol` in place of Credo's DID exchange, the
 * override that `credo-0.5.md` documents: registered after Credo's, under Credo's token, so that
 * the connections API and its handlers get it. Used by `proxyMediatorModules()`.
 */
export class ProxyConnectionsModule extends ConnectionsModule {
  public override register(dependencyManager: DependencyManager, featureRegistry: FeatureRegistry): void {
    super.register(dependencyManager, featureRegistry)
    dependencyManager.registerSingleton(DidExchangeProtocol, ProxyDidExchangeProtocol)
  }
}
