/** The handshakes an agent can be offered, by the short name an operator types. */
const KNOWN_HANDSHAKES = ['didexchange/1.1', 'didexchange/1.0', 'connections/1.0'] as const

const PREFIXES = ['https://didcomm.org/', 'did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/']

/**
 * Reads `--agent-handshake-protocols`: a comma-separated list in order of preference, each a short
 * name (`didexchange/1.1`) or a full protocol URI with either prefix. Returns the full URIs, or the
 * reason the list is refused.
 */
export function parseHandshakeProtocols(value: string): { protocols: string[] } | { problem: string } {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  if (entries.length === 0) return { problem: `give at least one of ${KNOWN_HANDSHAKES.join(', ')}` }
  const protocols: string[] = []
  for (const entry of entries) {
    const prefix = PREFIXES.find((candidate) => entry.startsWith(candidate)) ?? ''
    const short = entry.slice(prefix.length)
    if (!(KNOWN_HANDSHAKES as readonly string[]).includes(short)) {
      return {
        problem: `'${entry}' is not a handshake this proxy accepts. Use any of ${KNOWN_HANDSHAKES.join(', ')}, comma-separated, in order of preference`,
      }
    }
    const uri = `https://didcomm.org/${short}`
    if (!protocols.includes(uri)) protocols.push(uri)
  }
  return { protocols }
}
