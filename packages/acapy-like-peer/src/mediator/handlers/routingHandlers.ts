import { verkeyOf } from '../../dids'
import type { Conductor, ConductorEvents } from '../Conductor'
import type { MediatorStore } from '../MediatorStore'
import type { OutboundMessage } from '../OutboundMessage'
import { pythonJsonDumps } from '../pythonJson'

/**
 * ACA-Py's `ForwardHandler` (`protocols/routing/v1_0/handlers/forward_handler.py`): the forward's
 * `msg` is re-serialized and sent to the connection that registered `to`, as an already packed
 * payload whose reply key is the connection's key. So it goes out on any session of that key whose
 * last message asked for `return_route: all`, else to the undelivered queue, else nowhere. A `to`
 * nobody registered is logged and dropped: the sender got its HTTP 200 long before.
 */
export function registerRoutingHandlers(conductor: Conductor, store: MediatorStore, events: ConductorEvents) {
  conductor.register('routing/1.0/forward', (context) => {
    const { message, receipt } = context
    if (!receipt.recipientVerkey || typeof message.to !== 'string') return
    const connectionId = store.routes.get(verkeyOf(message.to))
    const connection = connectionId ? store.connections.get(connectionId) : undefined
    const outbound: OutboundMessage = { encPayload: pythonJsonDumps(message.msg) }
    if (!connection) {
      events.forwarded?.('dropped', outbound)
      return
    }
    Object.assign(outbound, {
      connectionId: connection.id,
      target: connection.theirService,
      replyToVerkey: connection.theirService.recipientKeys[0],
    })
    const fate = conductor.route(outbound)
    events.forwarded?.(fate === 'session' ? 'written-to-session' : fate === 'sent' ? 'posted' : fate, outbound)
  })
}
