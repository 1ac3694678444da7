/**
 * Python's `json.dumps` with its defaults (", " and ": " separators, non-ASCII escaped), which is
 * how ACA-Py's `ForwardHandler` re-serializes the envelope it forwards
 * (`acapy_agent/protocols/routing/v1_0/handlers/forward_handler.py`: `json.dumps(packed)`): the
 * bytes a mediation client gets are not the bytes the sender posted.
 */
export function pythonJsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, entry]) => entry !== undefined)
    return `{${entries.map(([key, entry]) => `${asciiJson(key)}: ${pythonJsonDumps(entry)}`).join(', ')}}`
  }
  return asciiJson(value)
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}
