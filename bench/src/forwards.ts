import { randomUUID } from 'node:crypto'
import { type BoxKeyPair, type Envelope, anoncrypt, idNonce, x25519PublicOf } from './envelope'

export const FORWARD_TYPE = 'https://didcomm.org/routing/1.0/forward'

export interface ForwardSet {
  runTag: number
  /** forward{to: agentKey, msg: inner} anoncrypted to the proxy's routing key: what the mediator queues. */
  toProxy: Envelope[]
  /** The same forward plaintexts anoncrypted to the floor's own key. */
  toFloor: Envelope[]
}

/**
 * Pre-generates `count` forwards before any timing. The inner message is a real anoncrypt of a
 * basic message to the agent's key, whose nonce carries (runTag, seq) for the sink; the forward
 * around it is what a sender's routing layer produces for the proxy's routing key.
 */
export function generateForwards(options: {
  count: number
  runTag: number
  agentVerkey: string
  proxyRoutingVerkey: string
  floorKey?: BoxKeyPair
  /**
   * Transparent relay mode: what the mediator queues for the proxy is the agent's own envelope (the
   * mediator routes the agent's key to the proxy), so `toProxy` holds the inner envelopes.
   */
  transparent?: boolean
}): ForwardSet {
  const agentX = x25519PublicOf(options.agentVerkey)
  const proxyX = x25519PublicOf(options.proxyRoutingVerkey)
  const toProxy: Envelope[] = []
  const toFloor: Envelope[] = []
  for (let seq = 0; seq < options.count; seq++) {
    const basicMessage = JSON.stringify({
      '@type': 'https://didcomm.org/basicmessage/1.0/message',
      '@id': randomUUID(),
      sent_time: new Date().toISOString(),
      content: `bench message ${options.runTag}/${seq}`,
    })
    const inner = anoncrypt(basicMessage, options.agentVerkey, agentX, idNonce(options.runTag, seq))
    const forward = JSON.stringify({ '@type': FORWARD_TYPE, '@id': randomUUID(), to: options.agentVerkey, msg: inner })
    toProxy.push(options.transparent ? inner : anoncrypt(forward, options.proxyRoutingVerkey, proxyX))
    if (options.floorKey) toFloor.push(anoncrypt(forward, options.floorKey.verkey, options.floorKey.x25519PublicKey))
  }
  return { runTag: options.runTag, toProxy, toFloor }
}
