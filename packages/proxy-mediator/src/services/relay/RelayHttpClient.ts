import { Agent as HttpAgent, type RequestOptions, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { urlToHttpOptions } from 'node:url'
import type { Egress } from '../../transport/Egress'

export interface RelayResponse {
  status: number
}

/** The POSTs to one endpoint: how many are on the wire, and who waits for a turn. */
interface Lane {
  url: URL
  /** http or https, by the endpoint's scheme. */
  request: typeof httpRequest
  /** What every POST to the endpoint shares (target, socket pool or egress tunnel, CAs): worked out once per lane, not per POST. */
  options: RequestOptions
  active: number
  waiting: Array<() => void>
}

/**
 * The relay's own HTTP client. Credo's HttpOutboundTransport counts any status as delivered
 * and opens a connection per message; the relay needs the status (only a 2xx is a delivery),
 * a hard timeout, and keep-alive connections so that a burst of forwards reuses sockets.
 *
 * At most `maxSocketsPerHost` POSTs to an endpoint are under way; the rest wait here for a turn,
 * in order, as a closure. Left to Node's agent, each would wait as a whole request (headers, body,
 * listeners, an async resource), and a delivery's burst keeps hundreds of them alive through every
 * young-generation collection.
 */
export class RelayHttpClient {
  private readonly httpAgent: HttpAgent
  private readonly httpsAgent: HttpsAgent
  private readonly lanes = new Map<string, Lane>()

  public constructor(
    private readonly maxSocketsPerHost: number,
    /** Where a POST goes out: through the egress proxy when NO_PROXY does not name the agent, with the extra CAs. */
    private readonly egress?: Pick<Egress, 'nodeRequestOptions'>,
  ) {
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets: maxSocketsPerHost })
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: maxSocketsPerHost })
  }

  public async post(endpoint: string, body: string, timeoutMs: number): Promise<RelayResponse> {
    const lane = this.laneOf(endpoint)
    if (lane.active < this.maxSocketsPerHost) lane.active++
    // A turn is handed over by the POST that ends (see `release`), so `active` counts it already.
    else await new Promise<void>((resolve) => lane.waiting.push(resolve))
    try {
      return await this.send(lane, body, timeoutMs)
    } finally {
      this.release(endpoint, lane)
    }
  }

  public close(): void {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }

  private laneOf(endpoint: string): Lane {
    const existing = this.lanes.get(endpoint)
    if (existing) return existing
    let url: URL
    try {
      url = new URL(endpoint)
    } catch {
      throw new Error(`Invalid agent endpoint '${endpoint}'`)
    }
    const lane: Lane = { url, ...this.requestOf(url), active: 0, waiting: [] }
    this.lanes.set(endpoint, lane)
    return lane
  }

  /** Where a POST to `url` goes: through the egress proxy when NO_PROXY does not name the agent, with the extra CAs. */
  private requestOf(url: URL): Pick<Lane, 'request' | 'options'> {
    const isHttps = url.protocol === 'https:'
    const egress = this.egress?.nodeRequestOptions(url, { maxSockets: this.maxSocketsPerHost })
    return {
      request: isHttps ? httpsRequest : httpRequest,
      options: {
        ...urlToHttpOptions(url),
        method: 'POST',
        agent: egress?.agent ?? (isHttps ? this.httpsAgent : this.httpAgent),
        ...(egress?.ca ? { ca: egress.ca } : {}),
        ...(egress?.checkServerIdentity ? { checkServerIdentity: egress.checkServerIdentity } : {}),
      },
    }
  }

  private release(endpoint: string, lane: Lane): void {
    const next = lane.waiting.shift()
    if (next) {
      next()
      return
    }
    lane.active--
    // An idle endpoint is forgotten, so that endpoints that came and went don't pile up.
    if (lane.active === 0) this.lanes.delete(endpoint)
  }

  private send(lane: Lane, body: string, timeoutMs: number): Promise<RelayResponse> {
    return new Promise((resolve, reject) => {
      const request = lane.request(
        {
          ...lane.options,
          headers: {
            'content-type': 'application/didcomm-envelope-enc',
            'content-length': Buffer.byteLength(body),
          },
          timeout: timeoutMs,
        },
        (response) => {
          // Drain the body so the socket goes back to the pool.
          response.resume()
          response.on('end', () => resolve({ status: response.statusCode ?? 0 }))
          response.on('error', reject)
        },
      )
      request.on('timeout', () =>
        request.destroy(
          Object.assign(new Error(`no answer from ${lane.url.origin} within ${timeoutMs / 1000} s`), {
            code: 'ETIMEDOUT',
          }),
        ),
      )
      request.on('error', reject)
      request.end(body)
    })
  }
}
