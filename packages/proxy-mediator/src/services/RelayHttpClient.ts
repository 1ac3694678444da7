import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

export interface RelayResponse {
  status: number
}

/**
 * The relay's own HTTP client. Credo's HttpOutboundTransport counts any status as delivered
 * and opens a connection per message; the relay needs the status (only a 2xx is a delivery),
 * a hard timeout, and keep-alive connections so that a burst of forwards reuses sockets.
 */
export class RelayHttpClient {
  private readonly httpAgent: HttpAgent
  private readonly httpsAgent: HttpsAgent

  public constructor(maxSocketsPerHost: number) {
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets: maxSocketsPerHost })
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: maxSocketsPerHost })
  }

  public post(endpoint: string, body: string, timeoutMs: number): Promise<RelayResponse> {
    return new Promise((resolve, reject) => {
      let url: URL
      try {
        url = new URL(endpoint)
      } catch {
        reject(new Error(`Invalid agent endpoint '${endpoint}'`))
        return
      }
      const isHttps = url.protocol === 'https:'
      const request = (isHttps ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: isHttps ? this.httpsAgent : this.httpAgent,
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
      request.on('timeout', () => request.destroy(new Error(`No answer from ${url.origin} within ${timeoutMs} ms`)))
      request.on('error', reject)
      request.end(body)
    })
  }

  public close(): void {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }
}
