/** A DIDComm v1 message as it travels in the clear. */
export type Message = Record<string, unknown> & { '@type': string; '@id': string }

export const NEW_PREFIX = 'https://didcomm.org/'
export const LEGACY_PREFIX = 'did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/'

export interface ParsedType {
  /** e.g. `coordinate-mediation` */
  protocol: string
  major: number
  minor: number
  name: string
}

/** A message type under either prefix ACA-Py accepts (`acapy_agent/protocols/didcomm_prefix.py`). */
export function parseType(type: unknown): ParsedType | undefined {
  if (typeof type !== 'string') return undefined
  const rest = type.startsWith(NEW_PREFIX)
    ? type.slice(NEW_PREFIX.length)
    : type.startsWith(LEGACY_PREFIX)
      ? type.slice(LEGACY_PREFIX.length)
      : undefined
  const match = rest?.match(/^([^/]+)\/(\d+)\.(\d+)\/([^/]+)$/)
  if (!match) return undefined
  return { protocol: match[1], major: Number(match[2]), minor: Number(match[3]), name: match[4] }
}

/** ACA-Py writes the new prefix (`emit_new_didcomm_prefix`, the default since 0.7). */
export const typeOf = (protocolVersionName: string) => `${NEW_PREFIX}${protocolVersionName}`
