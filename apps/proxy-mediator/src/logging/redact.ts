export const REDACTED = '[redacted]'

/**
 * Keys whose values are secrets or message contents. Compared after lower-casing and removing
 * `_` and `-`, so `wallet_key`, `walletKey` and `WALLET-KEY` all match. Public keys that help
 * debugging (verkey, recipientKey, routingKeys) are deliberately not in the list.
 */
const SENSITIVE_KEYS = new Set([
  'key',
  'walletkey',
  'rekey',
  'seed',
  'privatekey',
  'secretkey',
  'secret',
  'password',
  'passphrase',
  'apikey',
  'adminapikey',
  'xapikey',
  'authorization',
  'msg',
  'message',
  'plaintext',
  'plaintextmessage',
  'encryptedmessage',
  'packedmessage',
  'ciphertext',
  'payload',
  'body',
  'attachments',
])

const MAX_DEPTH = 8

function isSensitiveKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_]/g, '')
  return SENSITIVE_KEYS.has(normalized) || normalized.endsWith('privatekey') || normalized.endsWith('seed')
}

/**
 * Returns a copy of structured log data that is safe to write: sensitive keys are replaced,
 * errors become `{ name, message, stack }` (their own enumerable fields are redacted too), and
 * every string is scrubbed of the known secret values (the wallet key, the admin key).
 */
export function redact(
  data: unknown,
  secrets: readonly string[] = [],
  depth = 0,
  seen = new WeakSet<object>(),
): unknown {
  if (typeof data === 'string') return scrubSecrets(data, secrets)
  if (data === null || typeof data !== 'object') return data
  if (depth >= MAX_DEPTH) return '[truncated]'
  if (seen.has(data)) return '[circular]'
  seen.add(data)

  if (data instanceof Error) {
    const { name, message, stack } = data
    const fields = redact({ ...data }, secrets, depth + 1, seen) as Record<string, unknown>
    const cause = (data as { cause?: unknown }).cause
    return {
      ...fields,
      name,
      message: scrubSecrets(message, secrets),
      stack: stack && scrubSecrets(stack, secrets),
      ...(cause !== undefined ? { cause: redact(cause, secrets, depth + 1, seen) } : {}),
    }
  }
  if (Array.isArray(data)) return data.map((item) => redact(item, secrets, depth + 1, seen))
  if (data instanceof Uint8Array) return `[${data.byteLength} bytes]`

  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) {
    copy[key] = isSensitiveKey(key) && value !== undefined ? REDACTED : redact(value, secrets, depth + 1, seen)
  }
  return copy
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text
  for (const secret of secrets) {
    // Very short "secrets" would blank out ordinary words; a key that short is not worth hiding anyway.
    if (secret.length >= 4) scrubbed = scrubbed.split(secret).join(REDACTED)
  }
  return scrubbed
}
