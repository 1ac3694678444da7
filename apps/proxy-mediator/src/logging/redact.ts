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
/** Longer strings are cut: a log line is for a person, and a flood of bytes is not. */
const MAX_STRING_LENGTH = 4_096
const MAX_ARRAY_ITEMS = 100
const MAX_OBJECT_KEYS = 100

/**
 * String(value), for anything: a Symbol, an object whose toString throws, a revoked Proxy.
 * The redactor is hand-made rather than pino's `redact` paths because it must also scrub the
 * secret *values* (wallet key, admin key) out of any string, at any depth, which paths cannot.
 */
export function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : String(value)
  } catch {
    return '[unprintable]'
  }
}

function truncated(text: string): string {
  return text.length <= MAX_STRING_LENGTH
    ? text
    : `${text.slice(0, MAX_STRING_LENGTH)}…[${text.length - MAX_STRING_LENGTH} more characters]`
}

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
  try {
    return redactValue(data, secrets, depth, seen)
  } catch {
    // A Proxy or a getter can throw anywhere; the log line keeps what could be read.
    return '[unreadable]'
  }
}

function redactValue(data: unknown, secrets: readonly string[], depth: number, seen: WeakSet<object>): unknown {
  if (typeof data === 'string') return scrubSecrets(data, secrets)
  if (typeof data === 'symbol' || typeof data === 'function') return safeString(data)
  if (data === null || typeof data !== 'object') return data
  if (depth >= MAX_DEPTH) return '[truncated]'
  if (seen.has(data)) return '[circular]'
  seen.add(data)

  if (data instanceof Error) {
    const { name, message, stack } = data
    const fields = redact({ ...data }, secrets, depth + 1, seen) as Record<string, unknown>
    const cause = (data as { cause?: unknown }).cause
    return {
      ...(typeof fields === 'object' ? fields : {}),
      name: scrubSecrets(safeString(name), secrets),
      message: scrubSecrets(safeString(message), secrets),
      stack: stack === undefined ? undefined : scrubSecrets(safeString(stack), secrets),
      ...(cause !== undefined ? { cause: redact(cause, secrets, depth + 1, seen) } : {}),
    }
  }
  if (Array.isArray(data)) {
    const items = data.slice(0, MAX_ARRAY_ITEMS).map((item) => redact(item, secrets, depth + 1, seen))
    return data.length > MAX_ARRAY_ITEMS ? [...items, `[${data.length - MAX_ARRAY_ITEMS} more items]`] : items
  }
  if (data instanceof Uint8Array) return `[${data.byteLength} bytes]`
  if (data instanceof Date) return Number.isNaN(data.getTime()) ? '[invalid date]' : data.toISOString()
  if (data instanceof Map || data instanceof Set) return `[${data.constructor.name} of ${data.size}]`

  const copy: Record<string, unknown> = {}
  const keys = Object.keys(data)
  for (const key of keys.slice(0, MAX_OBJECT_KEYS)) {
    let value: unknown
    try {
      value = (data as Record<string, unknown>)[key]
    } catch {
      copy[key] = '[unreadable]'
      continue
    }
    copy[key] = isSensitiveKey(key) && value !== undefined ? REDACTED : redact(value, secrets, depth + 1, seen)
  }
  if (keys.length > MAX_OBJECT_KEYS) copy['…'] = `${keys.length - MAX_OBJECT_KEYS} more keys`
  return copy
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = truncated(safeString(text))
  for (const secret of secrets) {
    // Very short "secrets" would blank out ordinary words; a key that short is not worth hiding anyway.
    if (secret.length >= 4) scrubbed = scrubbed.split(secret).join(REDACTED)
  }
  return scrubbed
}
