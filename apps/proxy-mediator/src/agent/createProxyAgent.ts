import { Agent, HttpOutboundTransport, KeyDerivationMethod, type Logger, WsOutboundTransport } from '@credo-ts/core'
import { agentDependencies } from '@credo-ts/node'
import { proxyMediatorAgentConfig, proxyMediatorModules } from '@proxy-mediator/proxy-mediator'
import type { Express } from 'express'
import { WebSocketServer } from 'ws'
import type { RunnerConfig } from '../config/RunnerConfig'
import { DidcommHttpInboundTransport } from '../http/DidcommHttpInboundTransport'
import { DidcommWebSocketInboundTransport } from '../http/DidcommWebSocketInboundTransport'
import type { ProxyMediatorControlProvider } from '../web/ProxyMediatorControl'
import type { RecordRefusal } from '../web/RefusalRecorder'
import { loadWalletModule } from './loadWalletModule'
import { storageDirFileSystem } from './storageDirFileSystem'

const KEY_DERIVATION: Record<RunnerConfig['walletKeyDerivation'], KeyDerivationMethod> = {
  'argon2i-mod': KeyDerivationMethod.Argon2IMod,
  'argon2i-int': KeyDerivationMethod.Argon2IInt,
  raw: KeyDerivationMethod.Raw,
}

export function buildProxyAgentModules(config: RunnerConfig) {
  return {
    ...proxyMediatorModules({
      ...config.module,
      agentInvitationLabel: config.label,
      egress: {
        proxyUrl: config.egress.proxyUrl,
        noProxy: config.egress.noProxy,
        extraCaCertificates: config.egress.extraCaCertificates,
      },
    }),
    walletBackend: loadWalletModule(config),
  }
}

export type ProxyAgent = Agent<ReturnType<typeof buildProxyAgentModules>>

export interface ProxyAgentParts {
  agent: ProxyAgent
  httpInbound: DidcommHttpInboundTransport
  /** Fed by the HTTP server's `upgrade` event, so WebSocket and HTTP share the port. */
  webSocketServer: WebSocketServer
}

/** What the inbound websocket transport needs of the runner: the gate's look-ups and the record of refusals. */
export interface InboundGateParts {
  control: ProxyMediatorControlProvider
  recordRefusal: RecordRefusal
}

/**
 * The proxy's Credo agent: the proxy mediator module, the stock mediator and recipient roles,
 * the chosen wallet, HTTP and WebSocket transports in and out. `app` carries the runner's routes;
 * the DIDComm POST route is added to it.
 */
export function createProxyAgent(
  config: RunnerConfig,
  logger: Logger,
  app: Express,
  gate: InboundGateParts,
): ProxyAgentParts {
  const agent = new Agent({
    config: {
      label: config.label,
      walletConfig: {
        id: config.walletId,
        key: config.walletKey,
        keyDerivationMethod: KEY_DERIVATION[config.walletKeyDerivation],
      },
      endpoints: [config.endpoint],
      logger,
      ...proxyMediatorAgentConfig,
    },
    dependencies: { ...agentDependencies, FileSystem: storageDirFileSystem(config.storageDir) },
    modules: buildProxyAgentModules(config),
  })

  const httpInbound = new DidcommHttpInboundTransport({ app, port: config.port })
  // Frames are bounded like bodies; ws's own default is 100 MiB.
  const webSocketServer = new WebSocketServer({ noServer: true, maxPayload: config.maxBodySizeBytes })
  agent.registerInboundTransport(httpInbound)
  agent.registerInboundTransport(
    new DidcommWebSocketInboundTransport({
      webSocketServer,
      control: gate.control,
      recordRefusal: gate.recordRefusal,
      logger,
      limits: {
        maxMessageBytes: config.maxBodySizeBytes,
        maxRecipients: config.maxEnvelopeRecipients,
        maxProtectedHeaderBytes: config.maxProtectedHeaderBytes,
      },
    }),
  )
  agent.registerOutboundTransport(new HttpOutboundTransport())
  agent.registerOutboundTransport(new WsOutboundTransport())

  return { agent, httpInbound, webSocketServer }
}
