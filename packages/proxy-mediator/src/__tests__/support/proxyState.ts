import type { MediatorService } from '@credo-ts/core'
import { ProxyMediatorStateService } from '../../ProxyMediatorStateService'
import { ProxyMediatorStateRecord } from '../../repository/ProxyMediatorStateRecord'
import type { ProxyMediatorStateRepository } from '../../repository/ProxyMediatorStateRepository'

/** The proxy's routing key (base58), as Credo's mediator routing record holds it. */
export const PROXY_ROUTING_KEY = '8Zv72jA9EQGNd91qrTXub3SSLnZYS7tqaheVXa26gK8B'

/**
 * The proxy's stored state, one record kept in memory. A state service made over the same store
 * is a restart: it reads what the one before wrote.
 */
export class ProxyStateStore {
  public readonly record = new ProxyMediatorStateRecord({ id: ProxyMediatorStateRecord.singletonId })
  public writes = 0

  /** The real state service over this store, with Credo's mediator routing record stubbed. */
  public service(): ProxyMediatorStateService {
    const repository = {
      getOrCreate: async () => this.record,
      update: async () => {
        this.writes++
      },
    } as unknown as ProxyMediatorStateRepository
    const mediatorService = {
      findMediatorRoutingRecord: async () => ({ routingKeys: [PROXY_ROUTING_KEY] }),
    } as unknown as MediatorService
    return new ProxyMediatorStateService(repository, mediatorService)
  }
}
