import type { Server } from 'node:http'
import { type Agent, type InboundTransport, TransportService, utils } from '@credo-ts/core'
// Credo's own session over an express request; the transport around it is what is replaced.
import { HttpTransportSession } from '@credo-ts/node/build/transport/HttpInboundTransport'
import type { Express } from 'express'
import { classifyInboundError } from './classifyInboundError'
import { gatedEnvelopeOf } from './validateDidcommBody'

/**
 * The DIDComm POST endpoint. Credo's HttpInboundTransport hands a message to the agent by event
 * and waits for a "processed" event that never comes when processing fails: an undecryptable
 * envelope, a message that fails validation, holds its request for 10 s and gets a 500, and each
 * request adds an event listener (Node's MaxListenersExceededWarning past 10). Here the message
 * is received directly: the request is answered when processing ends, at once with a 4xx for
 * input the proxy refuses, and nothing is left subscribed.
 */
export class DidcommHttpInboundTransport implements InboundTransport {
  private server?: Server
  private agent?: Agent

  /** The route is added at once, so that routes added after it (the 404) come after it. */
  public constructor(private readonly options: { app: Express; port: number; path?: string }) {
    options.app.post(options.path ?? '/', async (req, res, next) => {
      const agent = this.agent
      if (!agent) {
        res.status(503).json({ error: 'starting', detail: 'The proxy is starting; try again shortly.' })
        return
      }
      const transportService = agent.dependencyManager.resolve(TransportService)
      const session = new HttpTransportSession(utils.uuid(), req, res)
      // A client that goes away must not leave a session to write a return-route reply to.
      req.once('close', () => transportService.removeSession(session))
      try {
        // Parsed once, by the gate in front of this route.
        await agent.receiveMessage(gatedEnvelopeOf(res) ?? JSON.parse(String(req.body)), session)
        if (!res.headersSent) res.status(200).end()
      } catch (error) {
        if (!res.headersSent) next(classifyInboundError(error))
      } finally {
        transportService.removeSession(session)
      }
    })
  }

  public async start(agent: Agent): Promise<void> {
    this.agent = agent
    this.server = this.options.app.listen(this.options.port)
  }

  public async stop(): Promise<void> {
    const server = this.server
    if (!server?.listening) return
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  }
}
