import { type Server, type ServerOptions, createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Express } from 'express'
import { ConfigError } from '../config/ConfigError'
import type { TlsCertificates } from './TlsCertificates'

/** How long a client may take to send a request: its headers, and all of it, body included. */
export interface RequestTimeouts {
  headersTimeoutMs: number
  requestTimeoutMs: number
}

/** How a listener is set up beyond its address: TLS, and the option names its errors point at. */
export interface ListenerSettings {
  /** Serve HTTPS (and WSS) with these, taking each new pair they announce. */
  tls?: TlsCertificates
  /** The options that set its host and port, named in a listen error. @default host, port */
  fields?: { host: string; port: string }
}

/**
 * A transport starts the server with `app.listen(port)`, which binds every interface and throws
 * listen errors (EADDRINUSE) as an unhandled 'error' event. This replaces `listen` on this one app
 * so that the server binds `host`, and so that the caller can await the outcome: `listening`
 * resolves with the server or rejects with a readable error. A slow request is cut off by
 * `timeouts` (Node's default lets one hold its socket for 300 s).
 */
export function listenOnHost(
  app: Express,
  host: string,
  timeouts: RequestTimeouts,
  /** Whatever must hold from the first connection on (connection caps). */
  prepare: (server: Server) => void = () => undefined,
  settings: ListenerSettings = {},
): { listening: Promise<Server> } {
  const fields = settings.fields ?? { host: 'host', port: 'port' }
  let settle: { resolve: (server: Server) => void; reject: (error: Error) => void } | undefined
  const listening = new Promise<Server>((resolve, reject) => {
    settle = { resolve, reject }
  })
  // Callers that never start the server must not see an unhandled rejection.
  listening.catch(() => undefined)

  app.listen = ((port: number) => {
    const options: ServerOptions = {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // How often Node looks for requests past those timeouts; its default, 30 s, would add up to that.
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersTimeoutMs),
    }
    const { tls } = settings
    let server: Server
    if (tls) {
      const secure = createHttpsServer({ ...options, ...tls.current }, app)
      tls.onChange((pair) => secure.setSecureContext(pair))
      // The https server is an http.Server underneath; what is done to one (caps, upgrades) holds for both.
      server = secure as unknown as Server
    } else {
      server = createServer(options, app)
    }
    prepare(server)
    server.once('error', (error: NodeJS.ErrnoException) => {
      // A listen failure is a setting to fix: the field and the fix, like any invalid config.
      const issue =
        error.code === 'EADDRINUSE'
          ? {
              field: fields.port,
              message: `${port} on ${host} is already in use. Stop the other process or choose another --${fields.port}.`,
            }
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? {
                field: fields.host,
                message: `${host} is not an address of this machine. Use 0.0.0.0 or one of its addresses.`,
              }
            : error.code === 'EACCES'
              ? {
                  field: fields.port,
                  message: `no permission to listen on ${host}:${port}. Use a port above 1023 or grant the capability.`,
                }
              : { field: fields.host, message: `cannot listen on ${host}:${port}: ${error.message}` }
      settle?.reject(new ConfigError([issue]))
    })
    server.listen(port, host, () => settle?.resolve(server))
    return server
  }) as Express['listen']

  return { listening }
}
