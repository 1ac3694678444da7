import type { EncryptedMessage } from '@credo-ts/core'

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
