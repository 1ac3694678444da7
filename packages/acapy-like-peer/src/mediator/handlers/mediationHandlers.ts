import { randomUUID } from 'node:crypto'
import { didKeyOf, ed25519Multikey, verkeyOf } from '../../dids'
import type { Conductor, HandlerContext } from '../Conductor'
import type { MediatorSettings } from '../MediatorSettings'
import type { MediatorStore } from '../MediatorStore'
import type { Message } from '../../messageTypes'
import { typeOf } from '../../messageTypes'
import { problemReport } from './handshakeHandlers'

/**
 * Coordinate-mediation 1.0 as ACA-Py's mediator answers it
 * (`protocols/coordinate_mediation/v1_0/manager.py` and `handlers/`): a mediate-request from a ready
 * connection is granted at once with `--open-mediation` (else an operator denies it), naming the
 * mediator's one routing key; keylist-update answers each update with the key *as it was sent*
 * (`KeylistUpdated(recipient_key=update.recipient_key)`), and stores it normalized from did:key.
 */
export function registerMediationHandlers(conductor: Conductor, store: MediatorStore, settings: MediatorSettings) {
  const keyForm = (verkey: string) =>
    settings.routingKeyForm === 'base58' ? verkey : `${didKeyOf(verkey)}#${ed25519Multikey(verkey)}`

  const reply = (context: HandlerContext, name: string, body: Record<string, unknown>) =>
    context.reply({
      '@type': typeOf(`coordinate-mediation/1.0/${name}`),
      '@id': randomUUID(),
      '~thread': { thid: context.receipt.threadId },
      ...body,
    } as Message)

  conductor.register('coordinate-mediation/1.0/mediate-request', (context) => {
    const { connection } = context
    // MediationRequestHandler: "Invalid mediation request: no active connection" (a HandlerException, no answer).
    if (!connection || connection.state === 'request') return
    if (connection.mediation) {
      context.reply(
        problemReport(
          'coordinate-mediation/1.0/problem-report',
          context.message,
          'request_processed',
          'Mediation request already exists from this connection',
        ),
      )
      return
    }
    if (!settings.openMediation) {
      connection.mediation = 'denied'
      reply(context, 'mediate-deny', { mediator_terms: [], recipient_terms: [] })
      return
    }
    connection.mediation = 'granted'
    reply(context, 'mediate-grant', {
      endpoint: settings.endpoints[0],
      routing_keys: [keyForm(store.routingKey.verkey)],
    })
  })

  conductor.register('coordinate-mediation/1.0/keylist-update', (context) => {
    const { connection } = context
    if (connection?.mediation !== 'granted') {
      context.reply(
        problemReport(
          'coordinate-mediation/1.0/problem-report',
          context.message,
          'request_not_accepted',
          'Mediation has not been granted for this connection.',
        ),
      )
      return
    }
    const updates = (context.message.updates as Array<{ recipient_key?: string; action?: string }>) ?? []
    const updated = updates.map(({ recipient_key, action }) => {
      const key = recipient_key ? verkeyOf(recipient_key) : undefined
      let result = 'client_error'
      if (key && action === 'add') {
        result = store.routes.has(key) ? 'no_change' : 'success'
        store.routes.set(key, connection.id)
      } else if (key && action === 'remove') {
        result = store.routes.get(key) === connection.id ? 'success' : 'no_change'
        if (result === 'success') store.routes.delete(key)
      }
      return { recipient_key, action, result }
    })
    reply(context, 'keylist-update-response', { updated })
  })

  conductor.register('coordinate-mediation/1.0/keylist-query', (context) => {
    const { connection } = context
    if (connection?.mediation !== 'granted') return
    const keys = [...store.routes]
      .filter(([, id]) => id === connection.id)
      .map(([key]) => ({ recipient_key: keyForm(key) }))
    reply(context, 'keylist', { keys, pagination: { offset: 0, limit: keys.length, count: keys.length } })
  })
}
