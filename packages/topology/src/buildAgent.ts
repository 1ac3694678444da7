import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import {
  Agent,
  ConnectionsModule,
  HttpOutboundTransport,
  type InitConfig,
  LogLevel,
  type ModulesMap,
  WsOutboundTransport,
} from '@credo-ts/core'
import { ConsoleLogger } from '@credo-ts/core'
import { HttpInboundTransport, WsInboundTransport, agentDependencies } from '@credo-ts/node'
import { PortableWalletModule } from '@proxy-mediator/portable-wallet'
import express from 'express'
import { type WebSocket, WebSocketServer } from 'ws'

export interface RoleAgentOptions<Modules extends ModulesMap> {
  label: string
  /** Port of the HTTP (and, with `websocket`, WS) inbound transport. Omit for no inbound endpoint. */
  port?: number
  /**
   * The base URL to advertise, e.g. http://mediator:3001 in a compose network.
   * @default http://127.0.0.1:<port>
   */
  endpoint?: string
  /** Also accept websocket upgrades on the HTTP port, and advertise a ws:// endpoint. */
  websocket?: boolean
  /** Directory of the wallet file; omit for an in-memory wallet. */
  storagePath?: string
  walletId?: string
  walletKey?: string
  modules: Modules
  /** Outbound transports; HTTP only unless `outboundWebsocket` is set. */
  outboundWebsocket?: boolean
  config?: Partial<InitConfig>
  logLevel?: LogLevel
  /** An express app to add routes to; the DIDComm endpoint is POST /. */
  app?: express.Express
  /** Serve HTTPS (and WSS) with this certificate and key, and advertise https (and wss). */
  tls?: RoleTls
  /** The fetch of its HTTP outbound transport. @default Node's */
  fetch?: typeof fetch
}

/** A PEM certificate and its key. */
export interface RoleTls {
  cert: string | Buffer
  key: string | Buffer
}

export interface RoleAgent<Modules extends ModulesMap> {
  agent: Agent<Modules & { portableWallet: PortableWalletModule; connections: ConnectionsModule }>
  endpoints: string[]
  /** The websockets peers opened to this agent (empty without `websocket`). */
  inboundSockets(): WebSocket[]
  stop(): Promise<void>
}

/**
 * Builds and starts one real Credo agent on loopback. Every role of the topology (mediator,
 * agent, sender, proxy in tests) is one of these, so that they differ only in their modules.
 */
export async function startRoleAgent<Modules extends ModulesMap>(
  options: RoleAgentOptions<Modules>,
): Promise<RoleAgent<Modules>> {
  const endpoints: string[] = []
  if (options.port !== undefined) {
    const base = options.endpoint ?? `${options.tls ? 'https' : 'http'}://127.0.0.1:${options.port}`
    endpoints.push(base)
    if (options.websocket) endpoints.push(base.replace(/^http/, 'ws'))
  }
  const agent = new Agent({
    config: {
      label: options.label,
      walletConfig: {
        id: options.walletId ?? options.label.replace(/\W+/g, '-'),
        key: options.walletKey ?? `${options.label}-wallet-key`,
      },
      endpoints,
      logger: new ConsoleLogger(options.logLevel ?? LogLevel.off),
      ...options.config,
    },
    dependencies: options.fetch ? { ...agentDependencies, fetch: options.fetch } : agentDependencies,
    modules: {
      portableWallet: new PortableWalletModule(
        options.storagePath ? { storagePath: options.storagePath } : { inMemory: true },
      ),
      connections: new ConnectionsModule({ autoAcceptConnections: true }),
      ...options.modules,
    },
  })
  agent.registerOutboundTransport(new HttpOutboundTransport())
  if (options.outboundWebsocket) agent.registerOutboundTransport(new WsOutboundTransport())

  let httpInbound: HttpInboundTransport | undefined
  let socketServer: WebSocketServer | undefined
  if (options.port !== undefined) {
    const app = options.app ?? express()
    const { tls } = options
    // Credo's transport listens with app.listen(port), which is plain HTTP: the same app, over TLS.
    if (tls) app.listen = ((port: number) => createHttpsServer(tls, app).listen(port)) as unknown as typeof app.listen
    httpInbound = new HttpInboundTransport({ port: options.port, app })
    agent.registerInboundTransport(httpInbound)
    if (options.websocket) {
      socketServer = new WebSocketServer({ noServer: true })
      agent.registerInboundTransport(new WsInboundTransport({ server: socketServer }))
    }
  }
  await agent.initialize()
  // Every socket the server ever accepted, upgraded ones included: stop() destroys them, since
  // a keep-alive or paused peer would otherwise hold the server's close (and the process) open.
  const acceptedSockets = new Set<Socket>()
  httpInbound?.server?.on('connection', (socket: Socket) => {
    acceptedSockets.add(socket)
    socket.once('close', () => acceptedSockets.delete(socket))
  })
  const destroyAcceptedSockets = () => {
    for (const socket of acceptedSockets) socket.destroy()
  }
  if (httpInbound && socketServer) {
    const wss = socketServer
    httpInbound.server?.on('upgrade', (request, socket, head) => {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request))
    })
  }

  return {
    agent: agent as RoleAgent<Modules>['agent'],
    endpoints,
    inboundSockets: () => [...(socketServer?.clients ?? [])],
    async stop() {
      for (const client of socketServer?.clients ?? []) client.terminate()
      destroyAcceptedSockets()
      const shutdown = agent.shutdown()
      // Keep-alive clients in the same process (fetch's pool, the relay's) can reconnect while the
      // agent shuts down.
      setImmediate(destroyAcceptedSockets)
      await shutdown
    },
  }
}
