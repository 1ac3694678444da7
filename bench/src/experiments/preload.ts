/**
 * What-if experiments on the proxy, loaded into the runner with `node --require` by
 * `yarn bench --experiment-*`. They change nothing in the module's code: they patch the built
 * classes in memory, to tell how much a setting the runner does not expose would change.
 *
 * - BENCH_ACK_WINDOW_MS: how long PickupAcknowledger waits for company before it sends
 *   `messages-received` (the module's constant is 5 ms).
 * - BENCH_MAX_BATCH: Credo's MessagePickupModuleConfig.maximumBatchSize on the proxy, i.e. the
 *   `limit` of its delivery-requests (Credo's default is 10).
 */
import { ConnectionService, DidResolverService, MessagePickupModuleConfig } from '@credo-ts/core'
import { PickupAcknowledger } from '@proxy-mediator/proxy-mediator/build/services/PickupAcknowledger'

const ackWindowMs = Number(process.env.BENCH_ACK_WINDOW_MS)
const maxBatch = Number(process.env.BENCH_MAX_BATCH)

type Patchable = {
  pending: string[]
  timer?: NodeJS.Timeout
  agentContext?: unknown
  connectionId?: string
  flush(): Promise<void>
}

if (ackWindowMs > 0) {
  PickupAcknowledger.prototype.acknowledge = function (this: Patchable, agentContext, connectionId, messageId) {
    this.agentContext = agentContext
    this.connectionId = connectionId
    this.pending.push(messageId)
    if (this.pending.length >= 100) void this.flush()
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), ackWindowMs)
  } as PickupAcknowledger['acknowledge']
}

if (maxBatch > 0) {
  Object.defineProperty(MessagePickupModuleConfig.prototype, 'maximumBatchSize', { get: () => maxBatch })
}

/**
 * - BENCH_CACHE_LOOKUPS: memoize, for 5 s, the two storage look-ups Credo makes for every
 *   message exchanged with the external mediator: ConnectionService.findByKeys (inbound) and
 *   DidResolverService.resolveDidDocument (outbound). Only ready connections are cached.
 */
if (process.env.BENCH_CACHE_LOOKUPS === '1') {
  const ttlMs = 5000
  const memo = <T>(cache: Map<string, { at: number; value: T }>, key: string, load: () => Promise<T>) => {
    const hit = cache.get(key)
    if (hit && Date.now() - hit.at < ttlMs) return Promise.resolve(hit.value)
    return load().then((value) => {
      if (value) cache.set(key, { at: Date.now(), value })
      return value
    })
  }
  const connections = new Map<string, { at: number; value: unknown }>()
  const findByKeys = ConnectionService.prototype.findByKeys
  ConnectionService.prototype.findByKeys = function (agentContext, keys) {
    const key = `${keys.senderKey.fingerprint}|${keys.recipientKey.fingerprint}`
    return memo(connections, key, () => findByKeys.call(this, agentContext, keys)) as ReturnType<typeof findByKeys>
  }
  const documents = new Map<string, { at: number; value: unknown }>()
  const resolveDidDocument = DidResolverService.prototype.resolveDidDocument
  DidResolverService.prototype.resolveDidDocument = function (agentContext, did) {
    return memo(documents, did, () => resolveDidDocument.call(this, agentContext, did)) as ReturnType<
      typeof resolveDidDocument
    >
  }
}
