import { randomUUID } from 'node:crypto'
import type { Conductor } from '../Conductor'
import { typeOf } from '../../messageTypes'

/**
 * ACA-Py's `PingHandler` (`protocols/trustping/v1_0/handlers/ping_handler.py`): a ping from a ready
 * connection is answered unless it says `response_requested: false` (the default is true). A ping
 * that asks for no answer leaves the session's buffer empty, so on completion one queued message
 * may leave: this is how a mediation client of ACA-Py pulls its messages.
 */
export function registerTrustPingHandlers(conductor: Conductor) {
  conductor.register('trust_ping/1.0/ping', (context) => {
    if (!context.connection || context.connection.state === 'request') return
    if (context.message.response_requested === false) return
    context.reply({
      '@type': typeOf('trust_ping/1.0/ping_response'),
      '@id': randomUUID(),
      '~thread': { thid: context.receipt.threadId },
    })
  })
  conductor.register('trust_ping/1.0/ping_response', () => undefined)
}
