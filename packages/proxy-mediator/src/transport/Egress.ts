import { readFileSync } from 'node:fs'
import type { Agent as HttpAgent } from 'node:http'
import { type PeerCertificate, checkServerIdentity, rootCertificates } from 'node:tls'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { type Dispatcher, ProxyAgent, Agent as UndiciAgent, fetch as undiciFetch } from 'undici'
import { describeEgressFailure } from './describeEgressFailure'
import { type EgressProxySettings, egressProxyFor, noProxyOf, redactProxyUrl } from './egressProxyFor'

const ROUTE_CACHE_SIZE = 1_000

/** How the proxy reaches out: through which HTTP CONNECT proxy, except where, trusting which CAs. */
export interface EgressOptions extends EgressProxySettings {
  /**
   * CA certificates (PEM) trusted for TLS toward external mediators, invitation URLs and agents,
   * on top of Node's own and NODE_EXTRA_CA_CERTS. For a mediator whose certificate a private or
   * company CA signed. Verification is never turned off.
   */
  extraCaCertificates?: string[]
}

/** What went wrong on the last outbound connection that failed, for the error a caller sees. */
export interface EgressFailure {
  at: number
  target: string
  description: string
}

/** The options a `ws` client (or Node's https.request) takes for one connection: a tunnel through the proxy, the CAs. */
export interface WebSocketEgressOptions {
  agent?: HttpAgent
  ca?: string[]
  checkServerIdentity?: (host: string, certificate: PeerCertificate) => Error | undefined
}

/**
 * Every outbound connection of the proxy, by one rule (`egressProxyFor`): Credo's HTTP transport
 * and the invitation fetch through `fetch` (undici, with a ProxyAgent where a proxy applies), its
 * websockets through `webSocketOptions` (https-proxy-agent), the relay's POSTs through `nodeAgentFor`.
 * A failed connection is described once here, so that set-up can say why, not just 'undeliverable'.
 */
export class Egress {
  private readonly ca?: string[]
  private readonly dispatchers = new Map<string, Dispatcher>()
  private readonly nodeAgents = new Map<string, HttpAgent>()
  /** The proxy (or none) per scheme and host: asked for every outbound message and relay burst, and the answer never changes. */
  private readonly routes = new Map<string, URL | undefined>()
  private lastFailure?: EgressFailure

  public constructor(
    private readonly options: EgressOptions = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    const extra = options.extraCaCertificates ?? []
    // An explicit CA list replaces Node's store, NODE_EXTRA_CA_CERTS included; both are added back.
    if (extra.length > 0) this.ca = [...rootCertificates, ...nodeExtraCaCertificates(env), ...extra]
  }

  /** The proxy for `target`, or undefined for a direct connection. */
  public proxyFor(target: URL): URL | undefined {
    const key = `${target.protocol}//${target.host}`
    if (this.routes.has(key)) return this.routes.get(key)
    const proxy = egressProxyFor(target, this.options, this.env)
    // Bounded: endpoints come and go with agents and mediators.
    if (this.routes.size >= ROUTE_CACHE_SIZE) this.routes.clear()
    this.routes.set(key, proxy)
    return proxy
  }

  /** A `fetch` that goes out by the egress rule and says why a connection failed. */
  public readonly fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const target = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    const proxy = this.proxyFor(target)
    try {
      return (await undiciFetch(
        input as Parameters<typeof undiciFetch>[0],
        { ...init, dispatcher: this.dispatcherFor(proxy) } as Parameters<typeof undiciFetch>[1],
      )) as unknown as Response
    } catch (error) {
      // An abort is the caller's deadline: it says so itself.
      if ((error as Error)?.name === 'AbortError' || (error as Error)?.name === 'TimeoutError') throw error
      throw Object.assign(new Error(this.recordFailure(target, error, proxy)), { cause: error })
    }
  }) as typeof fetch

  public webSocketOptions(target: URL): WebSocketEgressOptions {
    return this.nodeRequestOptions(target)
  }

  /** For Node's http(s).request and ws: a tunnelling agent where a proxy applies, else none; and the CAs. */
  public nodeRequestOptions(target: URL, keepAlive?: { maxSockets: number }): WebSocketEgressOptions {
    const proxy = this.proxyFor(target)
    return {
      ...(proxy
        ? {
            agent: this.nodeAgentThrough(proxy, keepAlive?.maxSockets),
            // https-proxy-agent leaves the host out of its TLS options, so Node would check an address
            // target's certificate against 'localhost': it is checked against the target itself.
            checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
              checkServerIdentity(target.hostname.replace(/^\[|\]$/g, ''), certificate),
          }
        : {}),
      ...(this.ca ? { ca: this.ca } : {}),
    }
  }

  /** Records why a connection to `target` failed, and returns that description. */
  public recordFailure(target: URL, error: unknown, proxy = this.proxyFor(target)): string {
    const description = describeEgressFailure(target, error, proxy)
    this.lastFailure = { at: Date.now(), target: `${target.protocol}//${target.host}`, description }
    return description
  }

  /** The last failure since `since` (epoch ms), if any. */
  public failureSince(since: number): EgressFailure | undefined {
    return this.lastFailure && this.lastFailure.at >= since ? this.lastFailure : undefined
  }

  /** For the log at start: where connections go, credentials hidden. */
  public describe(): string {
    const sample = (scheme: string) => this.proxyFor(new URL(`${scheme}://egress.invalid`))
    const https = sample('https')
    const http = sample('http')
    const noProxy = noProxyOf(this.options, this.env)
    const route = (proxy?: URL) => (proxy ? `through ${redactProxyUrl(proxy)}` : 'direct')
    return `https/wss ${route(https)}, http/ws ${route(http)}${noProxy ? `, except NO_PROXY=${noProxy}` : ''}${this.ca ? `, ${this.options.extraCaCertificates?.length} extra CA certificate(s)` : ''}`
  }

  public async close(): Promise<void> {
    for (const agent of this.nodeAgents.values()) agent.destroy()
    this.nodeAgents.clear()
    const dispatchers = [...this.dispatchers.values()]
    this.dispatchers.clear()
    await Promise.allSettled(dispatchers.map((dispatcher) => dispatcher.close()))
  }

  private dispatcherFor(proxy: URL | undefined): Dispatcher {
    const key = proxy?.href ?? 'direct'
    let dispatcher = this.dispatchers.get(key)
    if (!dispatcher) {
      const tls = this.ca ? { ca: this.ca } : undefined
      // undici reads the credentials in the proxy URL and sends them as Proxy-Authorization.
      dispatcher = proxy
        ? new ProxyAgent({ uri: proxy.href, requestTls: tls, proxyTls: tls })
        : new UndiciAgent(tls ? { connect: tls } : {})
      this.dispatchers.set(key, dispatcher)
    }
    return dispatcher
  }

  private nodeAgentThrough(proxy: URL, maxSockets?: number): HttpAgent {
    const key = `${proxy.href} ${maxSockets ?? 'websocket'}`
    let agent = this.nodeAgents.get(key)
    if (!agent) {
      // A websocket holds its tunnel for its life; the relay's POSTs reuse theirs.
      agent = new HttpsProxyAgent(proxy, {
        ...(maxSockets ? { keepAlive: true, maxSockets } : {}),
        ...(this.ca ? { ca: this.ca } : {}),
      }) as unknown as HttpAgent
      this.nodeAgents.set(key, agent)
    }
    return agent
  }
}

function nodeExtraCaCertificates(env: NodeJS.ProcessEnv): string[] {
  const path = env.NODE_EXTRA_CA_CERTS
  if (!path) return []
  try {
    return [readFileSync(path, 'utf8')]
  } catch {
    // Node warned about it at start, and uses none of it either.
    return []
  }
}
