import type { AgentContext, EncryptedMessage } from '@credo-ts/core'
import { toVerkey } from './keys'

const FORWARD_TYPES = new Set([
  'https://didcomm.org/routing/1.0/forward',
  'did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/routing/1.0/forward',
])

export function isForwardType(type: unknown): boolean {
  return typeof type === 'string' && FORWARD_TYPES.has(type)
}

export function isEncryptedEnvelope(value: unknown): value is EncryptedMessage {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return (
    typeof candidate.protected === 'string' &&
    typeof candidate.iv === 'string' &&
    typeof candidate.ciphertext === 'string' &&
    typeof candidate.tag === 'string'
  )
}

/**
 * The recipient kids of an envelope, read from its protected header without decrypting.
 * This tells the relay whether an envelope is addressed to the proxy's routing key (the fast
 * path) or to one of its connections (Credo's own pipeline), for the price of a base64 decode.
 */
export function recipientKids(envelope: EncryptedMessage): string[] {
  try {
    const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString('utf8'))
    if (!Array.isArray(header.recipients)) return []
    return header.recipients
      .map((recipient: { header?: { kid?: unknown } }) => recipient?.header?.kid)
      .filter((kid: unknown): kid is string => typeof kid === 'string')
  } catch {
    return []
  }
}

/** A forward read: the key of the agent it is for (base58) and the agent's envelope, unopened. */
export interface ParsedForward {
  recipientKey: string
  envelope: EncryptedMessage
}

/** Why a layer for the routing key can never be relayed. Each is a dead-letter reason, or a 400 when posted straight. */
export type ForwardRefusalCode = 'undecryptable' | 'not_a_forward' | 'invalid_forward'

export type ParseForwardResult =
  | { kind: 'forward'; forward: ParsedForward }
  | { kind: 'refused'; code: ForwardRefusalCode; reason: string }

/**
 * The one reading of a forward, wherever it came from: the layer addressed to the proxy's routing
 * key, still encrypted (picked up, or posted straight), or already decrypted by Credo's pipeline.
 * Every reason a forward is refused is written here, and nowhere else.
 */
export async function parseForward(
  agentContext: AgentContext,
  layer: { encrypted: unknown } | { plaintext: Record<string, unknown> },
): Promise<ParseForwardResult> {
  let plaintext: Record<string, unknown>
  if ('plaintext' in layer) {
    plaintext = layer.plaintext
  } else {
    if (!isEncryptedEnvelope(layer.encrypted)) {
      return { kind: 'refused', code: 'undecryptable', reason: 'not an encrypted envelope' }
    }
    try {
      plaintext = (await agentContext.wallet.unpack(layer.encrypted)).plaintextMessage as Record<string, unknown>
    } catch (error) {
      return { kind: 'refused', code: 'undecryptable', reason: `cannot decrypt envelope: ${(error as Error).message}` }
    }
  }
  if (!isForwardType(plaintext['@type'])) {
    return {
      kind: 'refused',
      code: 'not_a_forward',
      reason: `not a forward but '${String(plaintext['@type']).slice(0, 200)}'; only forwards are taken for the routing key`,
    }
  }
  if (typeof plaintext.to !== 'string') {
    return { kind: 'refused', code: 'invalid_forward', reason: 'forward without a "to"' }
  }
  if (!isEncryptedEnvelope(plaintext.msg)) {
    return { kind: 'refused', code: 'invalid_forward', reason: 'forward "msg" is not an encrypted envelope' }
  }
  try {
    return { kind: 'forward', forward: { recipientKey: toVerkey(plaintext.to), envelope: plaintext.msg } }
  } catch {
    return {
      kind: 'refused',
      code: 'invalid_forward',
      reason: `forward "to" is not a key: ${plaintext.to.slice(0, 200)}`,
    }
  }
}
