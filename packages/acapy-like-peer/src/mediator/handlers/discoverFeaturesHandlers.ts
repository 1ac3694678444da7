import { randomUUID } from 'node:crypto'
import type { Conductor } from '../Conductor'
import { LEGACY_PREFIX, NEW_PREFIX, typeOf } from '../../messageTypes'

/**
 * Discover features 1.0 as ACA-Py answers it (`protocols/discovery/v1_0/handlers/query_handler.py`,
 * `core/protocol_registry.py` `protocols_matching_query`): `*`, a prefix ending in `*`, or one
 * protocol, matched against every protocol the agent registered, under both prefixes.
 */
export function registerDiscoverFeaturesHandlers(conductor: Conductor, protocols: () => string[]) {
  conductor.register('discover-features/1.0/query', (context) => {
    if (!context.connection) return
    const query = String(context.message.query ?? '*')
    const registered = protocols().flatMap((protocol) => [`${NEW_PREFIX}${protocol}`, `${LEGACY_PREFIX}${protocol}`])
    const matching =
      query === '*'
        ? registered
        : query.endsWith('*')
          ? registered.filter((pid) => pid.startsWith(query.slice(0, -1)))
          : registered.filter((pid) => pid === query)
    context.reply({
      '@type': typeOf('discover-features/1.0/disclose'),
      '@id': randomUUID(),
      '~thread': { thid: context.receipt.threadId },
      protocols: matching.map((pid) => ({ pid })),
    })
  })
}
