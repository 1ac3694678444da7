import { randomUUID } from 'node:crypto'
import type { Conductor, ConductorEvents, HandlerContext } from '../Conductor'
import { envelopeTag } from '../DeliveryQueue'
import type { Message } from '../../messageTypes'
import { typeOf } from '../../messageTypes'

/**
 * Pickup 2.0 as the plugin `Indicio-tech/acapy-plugin-pickup` adds it to an ACA-Py mediator
 * (`acapy_plugin_pickup/v2_0/delivery.py`, `status.py`, `live_mode.py`), over the same undelivered
 * queue: a delivery lists queued messages without taking them, each attachment named by its
 * envelope's `tag`; `messages-received` removes them and answers with a status; there is no live
 * mode (a `live-delivery-change` is only logged). Each request must ask for `return_route: all`.
 */
export function registerPickupPluginHandlers(conductor: Conductor, events: ConductorEvents) {
  const status = (context: HandlerContext, count: number, recipientKey?: unknown) =>
    context.reply({
      '@type': typeOf('messagepickup/2.0/status'),
      '@id': randomUUID(),
      '~thread': { thid: context.receipt.threadId },
      message_count: count,
      ...(typeof recipientKey === 'string' ? { recipient_key: recipientKey } : {}),
    } as Message)

  const queueOf = (context: HandlerContext) => {
    // "must have transport decorator with return route set to all": a HandlerException, no answer.
    if (context.receipt.directResponseMode !== 'all') return undefined
    return conductor.queue
  }

  conductor.register('messagepickup/2.0/status-request', (context) => {
    const queue = queueOf(context)
    if (!queue) return
    const key =
      typeof context.message.recipient_key === 'string' ? context.message.recipient_key : context.receipt.senderVerkey
    status(context, key ? queue.countFor(key) : 0, context.message.recipient_key)
  })

  conductor.register('messagepickup/2.0/delivery-request', (context) => {
    const queue = queueOf(context)
    const key = context.receipt.senderVerkey
    if (!queue || !key) return
    const limit = Number(context.message.limit) || 10
    const messages = queue.messagesFor(key).slice(0, limit)
    if (messages.length === 0) {
      status(context, 0, context.message.recipient_key)
      return
    }
    events.pickedUp?.(messages.length)
    context.reply({
      '@type': typeOf('messagepickup/2.0/delivery'),
      '@id': randomUUID(),
      '~thread': { thid: context.receipt.threadId },
      '~attach': messages.map((queued) => {
        // The plugin packs a message of the mediator's own once, and keeps it packed, so its tag can be acknowledged.
        queued.encPayload ??= conductor.encode(queued)
        return {
          '@id': envelopeTag(queued.encPayload),
          data: { base64: Buffer.from(queued.encPayload, 'utf8').toString('base64') },
        }
      }),
    })
  })

  conductor.register('messagepickup/2.0/messages-received', (context) => {
    const queue = queueOf(context)
    const key = context.receipt.senderVerkey
    if (!queue || !key) return
    const ids = (context.message.message_id_list as unknown[]) ?? []
    queue.removeByTags(key, new Set(ids.map(String)))
    status(context, queue.countFor(key))
  })

  conductor.register('messagepickup/2.0/live-delivery-change', () => undefined)
}
