import { BlockList, isIP } from 'node:net'

/** Where the proxy's outbound connections go: the settings that win over the environment. */
export interface EgressProxySettings {
  /**
   * The HTTP CONNECT proxy for every outbound connection, whatever its scheme. `null`: none, whatever
   * the environment says. Unset: from the environment, as curl reads it.
   */
  proxyUrl?: string | null
  /** Hosts reached directly, in NO_PROXY's form. Unset: NO_PROXY (or no_proxy) from the environment. */
  noProxy?: string
}

/**
 * The proxy an outbound connection to `target` goes through, or undefined for a direct one, by
 * curl's rule: the explicit setting, else `https_proxy` for https and wss, `http_proxy` for http and
 * ws, else `all_proxy` (lower case first, then upper case; curl itself reads `HTTP_PROXY` in lower
 * case only, a guard for CGI scripts that a server process does not need). A host that NO_PROXY names
 * is reached directly: `*` for every host, a name for itself and its subdomains (`example.org` and
 * `.example.org` alike), an address, or a CIDR block (`10.0.0.0/8`). Ports in NO_PROXY are ignored, as
 * curl ignores them.
 */
export function egressProxyFor(
  target: URL,
  settings: EgressProxySettings,
  env: NodeJS.ProcessEnv = process.env,
): URL | undefined {
  if (bypasses(target, noProxyOf(settings, env))) return undefined
  const configured =
    settings.proxyUrl !== undefined
      ? settings.proxyUrl
      : (readEnv(env, isSecure(target) ? 'https_proxy' : 'http_proxy') ?? readEnv(env, 'all_proxy'))
  if (!configured) return undefined
  return parseProxyUrl(configured)
}

/** The hosts reached directly: the setting, else NO_PROXY (lower case first). */
export function noProxyOf(settings: EgressProxySettings, env: NodeJS.ProcessEnv = process.env): string {
  return settings.noProxy ?? readEnv(env, 'no_proxy') ?? ''
}

/** A proxy URL, checked: http or https, with a host. Credentials may be in it (`http://user:pass@host:port`). */
export function parseProxyUrl(value: string): URL {
  let url: URL
  try {
    // curl takes `proxy:3128` for `http://proxy:3128`.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`)
  } catch {
    throw new Error(
      `The egress proxy '${redactProxyUrl(value)}' is not a URL; give one such as http://proxy.example.org:3128`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `The egress proxy ${redactProxyUrl(value)} uses ${url.protocol.replace(':', '')}; only HTTP CONNECT proxies (http:// or https://) are supported`,
    )
  }
  return url
}

/** A proxy URL fit for a log or an error: its credentials replaced. */
export function redactProxyUrl(value: string | URL): string {
  const text = String(value)
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
    if (url.username || url.password) {
      url.username = '***'
      url.password = ''
    }
    return url.href.replace(/\/$/, '')
  }
  // Not a proxy URL (`user:pass@host:port` parses as a URL of scheme `user:`): whatever sits before an @ may be credentials.
  return hideCredentials(text.replace(/^[^@\s/]*@/, '***@'))
}

/** A text (an error message) with the credentials of every URL in it replaced. */
export function hideCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@')
}

function isSecure(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'wss:'
}

/** The lower-case variable, else the upper-case one; an empty one counts as unset. */
function readEnv(env: NodeJS.ProcessEnv, lowerCaseName: string): string | undefined {
  for (const value of [env[lowerCaseName], env[lowerCaseName.toUpperCase()]]) {
    if (value?.trim()) return value.trim()
  }
  return undefined
}

function bypasses(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase()
    if (!entry) continue
    if (entry === '*') return true
    if (entry.includes('/')) {
      if (inBlock(host, entry)) return true
      continue
    }
    const name = stripPort(entry).replace(/^\*?\./, '')
    if (host === name || (isIP(host) === 0 && host.endsWith(`.${name}`))) return true
  }
  return false
}

function stripPort(entry: string): string {
  if (entry.startsWith('[')) return entry.slice(1, entry.indexOf(']'))
  // An IPv6 address has several colons; a name or IPv4 address with a port has one.
  return entry.split(':').length === 2 ? entry.split(':')[0] : entry
}

function inBlock(host: string, cidr: string): boolean {
  const [network, bits] = cidr.split('/')
  const family = isIP(network)
  if (family === 0 || isIP(host) !== family) return false
  const block = new BlockList()
  try {
    block.addSubnet(network, Number(bits), family === 4 ? 'ipv4' : 'ipv6')
  } catch {
    return false
  }
  return block.check(host, family === 4 ? 'ipv4' : 'ipv6')
}
