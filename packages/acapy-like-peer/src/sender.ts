import { randomUUID } from 'node:crypto'
import { type KeyPair, newKeyPair, ready } from './crypto'
import { type Envelope, type PackOptions, pack } from './envelope'
import { forwardLayers } from './forward'
import { typeOf } from './messageTypes'

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
    const layers = this.layers(route, content, options)
    return layers[layers.length - 1]
  }

  /**
   * Every envelope of one message, innermost first: the agent's, then one per routing key. The
   * one before the last is what the external mediator forwards, so its `tag` names the message
   * in the mediator's records.
   */
  public layers(route: Route, content: string, options: PackOptions = {}): Envelope[] {
    const message = {
      '@type': typeOf('basicmessage/1.0/message'),
      '@id': randomUUID(),
      sent_time: new Date().toISOString(),
      content,
    }
    return forwardLayers(pack(message, [route.recipientKey], this.key), route.recipientKey, route.routingKeys, options)
  }

  /**
   * Sends each content as its own forwarded message; throws on any answer that is not 2xx.
   * `onLayers` hears of each message's envelopes before it is posted.
   */
  public async send(
    route: Route,
    contents: string[],
    options: PackOptions & { onLayers?: (content: string, layers: Envelope[]) => void } = {},
  ): Promise<void> {
    for (const content of contents) {
      const layers = this.layers(route, content, options)
      options.onLayers?.(content, layers)
      const response = await fetch(route.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/didcomm-envelope-enc' },
        body: JSON.stringify(layers[layers.length - 1]),
      })
      if (response.status >= 300) throw new Error(`POST ${route.endpoint}: HTTP ${response.status}`)
    }
  }

  /**
   * Sends every content, `concurrency` at a time, as several senders would. A POST the mediator
   * does not take (it is restarting) is tried again after 100 ms, up to `attempts` times, as
   * ACA-Py's outbound queue retries a delivery.
   */
  public async sendConcurrently(
    route: Route,
    contents: string[],
    {
      concurrency = 1,
      attempts = 100,
      onLayers,
    }: { concurrency?: number; attempts?: number; onLayers?: (content: string, layers: Envelope[]) => void } = {},
  ): Promise<void> {
    let next = 0
    const worker = async () => {
      while (next < contents.length) {
        const content = contents[next++]
        for (let attempt = 1; ; attempt++) {
          try {
            await this.send(route, [content], { onLayers })
            break
          } catch (error) {
            if (attempt >= attempts) throw error
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  }
}
