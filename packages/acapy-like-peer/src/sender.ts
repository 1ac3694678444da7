import { randomUUID } from 'node:crypto'
import { type KeyPair, newKeyPair, ready } from './crypto'
import { type Envelope, type PackOptions, pack } from './envelope'
import { NEW_PREFIX } from './AcapyLikeAgent'

export interface Route {
  /** The agent's key, as it registered it with its mediator. */
  recipientKey: string
  /** The mediation grant's endpoint and routing keys (base58), in the grant's order. */
  endpoint: string
  routingKeys: string[]
}

/**
 * A sender with no Credo code: packs a basic message for the agent, wraps it in one RFC 0094
 * forward per routing key (the first routing key innermost, the last outermost), and posts it to
 * the endpoint of the grant: the external mediator.
 */
export class ForwardingSender {
  private constructor(private readonly key: KeyPair) {}

  public static async create(): Promise<ForwardingSender> {
    await ready()
    return new ForwardingSender(newKeyPair())
  }

  public wrap(route: Route, content: string, options: PackOptions = {}): Envelope {
    const message = {
      '@type': `${NEW_PREFIX}basicmessage/1.0/message`,
      '@id': randomUUID(),
      sent_time: new Date().toISOString(),
      content,
    }
    let envelope = pack(message, [route.recipientKey], this.key)
    let to = route.recipientKey
    for (const routingKey of route.routingKeys) {
      const forward = { '@type': `${NEW_PREFIX}routing/1.0/forward`, '@id': randomUUID(), to, msg: envelope }
      envelope = pack(forward, [routingKey], undefined, options)
      to = routingKey
    }
    return envelope
  }

  /** Sends each content as its own forwarded message; throws on any answer that is not 2xx. */
  public async send(route: Route, contents: string[], options: PackOptions = {}): Promise<void> {
    for (const content of contents) {
      const response = await fetch(route.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/didcomm-envelope-enc' },
        body: JSON.stringify(this.wrap(route, content, options)),
      })
      if (response.status >= 300) throw new Error(`POST ${route.endpoint}: HTTP ${response.status}`)
    }
  }
}
