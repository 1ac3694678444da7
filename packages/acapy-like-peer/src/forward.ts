import { randomUUID } from 'node:crypto'
import { type Envelope, type PackOptions, pack } from './envelope'
import { typeOf } from './messageTypes'

export interface ForwardOptions extends PackOptions {
  /** The forward's `@type`, for an agent that writes the legacy prefix. @default the new prefix's */
  forwardType?: string
}

/**
 * RFC 0094 routing, as ACA-Py's `PackWireFormat.pack` does it (`acapy_agent/transport/pack_format.py`):
 * `envelope`, already packed for `recipientKey`, wrapped in one anoncrypted forward per routing key,
 * the first routing key innermost, each forward naming the key of the layer it carries. Returns every
 * layer, innermost (`envelope`) first; the last is what goes on the wire.
 */
export function forwardLayers(
  envelope: Envelope,
  recipientKey: string,
  routingKeys: string[],
  { forwardType = typeOf('routing/1.0/forward'), ...packOptions }: ForwardOptions = {},
): Envelope[] {
  const layers = [envelope]
  let to = recipientKey
  for (const routingKey of routingKeys) {
    const forward = { '@type': forwardType, '@id': randomUUID(), to, msg: layers[layers.length - 1] }
    layers.push(pack(forward, [routingKey], undefined, packOptions))
    to = routingKey
  }
  return layers
}

/** `envelope` as it goes on the wire to the first of its routing keys' holders (see `forwardLayers`). */
export function forwarded(
  envelope: Envelope,
  recipientKey: string,
  routingKeys: string[],
  options?: ForwardOptions,
): Envelope {
  const layers = forwardLayers(envelope, recipientKey, routingKeys, options)
  return layers[layers.length - 1]
}
