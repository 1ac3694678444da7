import type { Server } from 'node:http'
import { type Logger, WalletInvalidKeyError } from '@credo-ts/core'
import { Egress, type MessageRelayedEvent, ProxyMediatorEventTypes } from '@proxy-mediator/proxy-mediator'
import type { Express } from 'express'
import { type ProxyAgent, createProxyAgent } from '../agent/createProxyAgent'
import { ConfigError } from '../config/ConfigError'
import type { RunnerConfig } from '../config/RunnerConfig'
import { isLoopbackHost } from '../config/isLoopbackHost'
import { StatusHistory } from '../history/StatusHistory'
import { TlsCertificates } from '../http/TlsCertificates'
import { attachWebSocketUpgrade } from '../http/attachWebSocketUpgrade'
import { limitConnections } from '../http/limitConnections'
import { listenOnHost } from '../http/listenOnHost'
import { type RunnerMetrics, createRunnerMetrics } from '../metrics/createRunnerMetrics'
import { createHttpApp } from '../server/createHttpApp'
import type { ProxyMediatorControl } from '../web/ProxyMediatorControl'
import { runnerFacts } from './RunnerFacts'
import { guardedListener } from './guardedListener'

export interface ProxyRunner {
  agent: ProxyAgent
  app: Express
  metrics: RunnerMetrics
  /** Opens the wallet, starts serving, and resumes upstream pickup if it was set up before. */
  start(): Promise<void>
  /** Stops taking input, lets relays in flight finish, closes sockets and the wallet. */
  stop(): Promise<void>
  /** Reads the TLS certificate and key again (SIGHUP); false without TLS or when the new pair does not load. */
  reloadTls(): boolean
}

/**
 * Wires the validated config into a running proxy: routes, metrics, the Credo agent and its
 * transports on the DIDComm listener, the admin routes on theirs (or on the same one, if so
 * configured), both over TLS when configured. Nothing here reads flags, env or signals, so tests
 * can drive it.
 */
export function createProxyRunner(config: RunnerConfig, logger: Logger): ProxyRunner {
  let control: ProxyMediatorControl | undefined
  const metrics = createRunnerMetrics(() => control?.getStatus())
  const history = new StatusHistory({
    read: () => control?.getStatus(),
    onError: (error) => logger.warn('The history of the operator\u2019s page skipped a step', { error }),
  })
  const tls = config.tls ? new TlsCertificates(config.tls, logger) : undefined
  const httpApp = createHttpApp({
    adminOnDidcommPort: config.admin.sharedWithDidcomm,
    control: () => control,
    registry: metrics.registry,
    history,
    facts: runnerFacts(config),
    logger,
    adminApiKey: config.adminApiKey,
    adminKeyLimits: { maxFailures: config.maxAdminKeyFailures, failureWindowMs: config.adminKeyFailureWindowMs },
    maxBodySizeBytes: config.maxBodySizeBytes,
    envelopeLimits: {
      maxRecipients: config.maxEnvelopeRecipients,
      maxProtectedHeaderBytes: config.maxProtectedHeaderBytes,
    },
    countRejection: (reason) => metrics.countRejection(reason),
  })
  const timeouts = { headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs }
  const capConnections = (created: Server) =>
    limitConnections(created, {
      maxConnections: config.maxConnections,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      recordRefusal: httpApp.recordRefusal,
    })
  const { listening } = listenOnHost(httpApp.app, config.host, timeouts, capConnections, { tls })
  const admin = config.admin.sharedWithDidcomm
    ? undefined
    : listenOnHost(httpApp.adminApp, config.admin.host, timeouts, capConnections, {
        tls,
        fields: { host: 'admin-host', port: 'admin-port' },
      })
  const { agent, webSocketServer } = createProxyAgent(config, logger, httpApp.app, {
    control: () => control,
    recordRefusal: httpApp.recordRefusal,
  })
  httpApp.finish()
  let server: Server | undefined
  let adminServer: Server | undefined

  const subscribeToEvents = () => {
    // In the middle of a message's handling: a metric or a log line that throws must not cut it short.
    agent.events.on<MessageRelayedEvent>(
      ProxyMediatorEventTypes.MessageRelayed,
      guardedListener(({ payload }) => metrics.observeRelayLatency(payload.latencyMs)),
    )
    // Each change of state is logged by the module itself, with why (`Proxy mediator is ready: ...`).
  }

  const connectToConfiguredMediator = async (invitationUrl: string) => {
    try {
      await agent.modules.proxyMediator.connectToMediator(invitationUrl)
      logger.info('Connected to the external mediator given by mediator-invitation')
    } catch (error) {
      // Not fatal: the routes still serve, and POST /mediator-invitation can try another.
      logger.error('Could not connect to the external mediator given by mediator-invitation', { error })
    }
  }

  return {
    agent,
    app: httpApp.app,
    metrics,

    async start() {
      const scheme = tls ? 'https' : 'http'
      logger.info('Starting the proxy mediator', {
        host: config.host,
        port: config.port,
        adminHost: config.admin.host,
        adminPort: config.admin.port,
        tls: Boolean(tls),
        endpoint: config.endpoint,
        walletBackend: config.walletBackend,
        storageDir: config.storageDir,
      })
      logger.info(`Outbound connections: ${agent.dependencyManager.resolve(Egress).describe()}`)
      if (config.adminApiKey === undefined) {
        logger.warn(
          `No admin API key (--admin-api-key): whoever reaches ${config.admin.host}:${config.admin.port} can set the proxy up, add, promote and remove external mediators, take the agent invitation and read, relay again and delete the dead letters.${isLoopbackHost(config.admin.host) ? ' It listens on loopback only.' : ' --admin-insecure-mode lets it listen outside loopback all the same.'}`,
        )
      }
      // Before the wallet opens, so that /status says 'starting' meanwhile; a listen error stops the start.
      if (admin) {
        httpApp.adminApp.listen(config.admin.port)
        // Known as soon as it listens, so that a stop after a failed start closes it too.
        admin.listening.then(
          (listened) => {
            adminServer = listened
          },
          () => undefined,
        )
      }
      try {
        await agent.initialize()
      } catch (error) {
        if (error instanceof WalletInvalidKeyError) {
          throw new ConfigError([
            {
              field: 'wallet-key',
              message: `does not open the wallet '${config.walletId}' in ${config.storageDir}. Use the key it was created with; the wallet is left untouched.`,
            },
          ])
        }
        throw error
      }
      server = await listening
      if (admin) adminServer = await admin.listening
      tls?.watch()
      logger.info(
        `Listening: DIDComm on ${scheme}://${config.host}:${config.port}${adminServer ? `, admin routes and the operator's page on ${scheme}://${config.admin.host}:${config.admin.port}` : ' (admin routes too)'}`,
      )
      attachWebSocketUpgrade(server, webSocketServer, {
        isDraining: () => httpApp.draining,
        maxSockets: config.maxWebsockets,
        maxSocketsPerAddress: config.maxWebsocketsPerAddress,
        idleTimeoutMs: config.websocketIdleTimeoutMs,
        recordRefusal: httpApp.recordRefusal,
      })
      subscribeToEvents()

      await agent.modules.proxyMediator.start()
      control = agent.modules.proxyMediator
      history.start()

      const { status } = control.getStatus()
      logger.info(`Proxy mediator started (status: ${status})`)
      if (config.mediatorInvitation && status === 'init') {
        // In the background: the routes serve meanwhile, and /ready tells when it is done.
        void connectToConfiguredMediator(config.mediatorInvitation)
      }
    },

    async stop() {
      history.stop()
      httpApp.startDraining()
      tls?.close()
      server?.closeIdleConnections()
      adminServer?.closeIdleConnections()
      for (const client of webSocketServer.clients) client.terminate()
      if (agent.isInitialized) {
        await agent.modules.proxyMediator.stop()
        await agent.shutdown()
      }
      if (adminServer?.listening) {
        const closing = adminServer
        await new Promise<void>((resolve) => closing.close(() => resolve()))
      }
      control = undefined
    },

    reloadTls() {
      return tls?.reload('SIGHUP') ?? false
    },
  }
}
