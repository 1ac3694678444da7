import {
  ConnectionRecord,
  ConnectionService,
  DidExchangeRole,
  DidExchangeState,
  InboundMessageContext,
  MediationGrantMessage,
  MediationRecord,
  type MediationRepository,
  MediationRequestMessage,
  MediationRole,
  MediationState,
  type MediatorService,
  MessageSender,
  OutOfBandApi,
  OutOfBandDidCommService,
  OutOfBandInvitation,
  OutOfBandRecord,
  type OutOfBandRepository,
  OutOfBandRole,
  OutOfBandState,
  type OutboundMessageContext,
  ProblemReportError,
} from '@credo-ts/core'
import { ProxyMediatorModuleConfig, type ProxyMediatorModuleConfigOptions } from '../../../ProxyMediatorModuleConfig'
import { InMemoryRepository } from '../../../__tests__/support/InMemoryRepository'
import { PROXY_ROUTING_KEY, ProxyStateStore } from '../../../__tests__/support/proxyState'
import { testAgentContext } from '../../../__tests__/support/testAgentContext'
import { verkeyToDidKey } from '../../../utils/keys'
import type { AgentDirectory } from '../../relay/AgentDirectory'
import type { UpstreamFailover } from '../../upstream/UpstreamFailover'
import { DownstreamMediationService } from '../DownstreamMediationService'

const PROXY_ENDPOINT = 'https://proxy.example/didcomm'
const INVITATION_KEY = 'did:key:z6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V'
/** The route the external mediator granted the proxy. */
const MEDIATOR_ROUTE = {
  endpoint: 'https://mediator.example/didcomm',
  routingKeys: ['Cu5Z9kn4gjfjAqxi6tAJwigsFuegvdquVHir7jV4dLn5'],
}

/**
 * The proxy as mediator of its agents: who gets mediation, with which route, and its invitation.
 * The proxy's state service is real over a store in memory, as are Credo's records and messages;
 * Credo's out-of-band API, mediator service and message sender are small fakes, and the external
 * mediators are one `grantRoute()`.
 */
describe('DownstreamMediationService', () => {
  let store: ProxyStateStore
  let invitations: InMemoryRepository<OutOfBandRecord>
  let mediations: InMemoryRepository<MediationRecord>
  let connections: InMemoryRepository<ConnectionRecord>
  /** What the external mediators offer new grants now: undefined while the proxy is not picking up. */
  let route: typeof MEDIATOR_ROUTE | undefined
  let sent: OutboundMessageContext[]
  let createInvitation: jest.Mock

  beforeEach(() => {
    store = new ProxyStateStore()
    invitations = new InMemoryRepository()
    mediations = new InMemoryRepository()
    connections = new InMemoryRepository()
    route = MEDIATOR_ROUTE
    sent = []
    createInvitation = jest.fn(async (options: { label: string; multiUseInvitation: boolean }) => {
      const record = new OutOfBandRecord({
        role: OutOfBandRole.Sender,
        state: OutOfBandState.AwaitResponse,
        reusable: options.multiUseInvitation,
        outOfBandInvitation: new OutOfBandInvitation({
          label: options.label,
          services: [
            new OutOfBandDidCommService({
              id: '#inline',
              serviceEndpoint: PROXY_ENDPOINT,
              recipientKeys: [INVITATION_KEY],
            }),
          ],
        }),
      })
      await invitations.save(agentContext, record)
      return record
    })
  })

  const { agentContext, logger } = testAgentContext({
    config: { endpoints: [PROXY_ENDPOINT], label: 'proxy', useDidKeyInProtocols: true },
    dependencies: [
      [OutOfBandApi, { createInvitation: (options: never) => createInvitation(options) }],
      [ConnectionService, { getById: (context: never, id: string) => connections.getById(context, id) }],
      [
        MessageSender,
        {
          sendMessage: async (outbound: OutboundMessageContext) => {
            sent.push(outbound)
          },
        },
      ],
    ],
  })

  /** Credo's mediator service, as far as the proxy uses it: it records a request, and grants it with the proxy's own endpoint. */
  const mediatorService = {
    processMediationRequest: async (messageContext: InboundMessageContext<MediationRequestMessage>) => {
      const record = new MediationRecord({
        connectionId: messageContext.assertReadyConnection().id,
        role: MediationRole.Mediator,
        state: MediationState.Requested,
        threadId: messageContext.message.threadId,
      })
      await mediations.save(agentContext, record)
      return record
    },
    createGrantMediationMessage: async (_context: never, record: MediationRecord) => {
      record.assertState(MediationState.Requested)
      record.state = MediationState.Granted
      await mediations.update(agentContext, record)
      const message = new MediationGrantMessage({
        endpoint: PROXY_ENDPOINT,
        routingKeys: [verkeyToDidKey(PROXY_ROUTING_KEY)],
        threadId: record.threadId,
      })
      return { mediationRecord: record, message }
    },
  }

  /** A proxy's downstream side; another one over the same store is the proxy after a restart. */
  const makeService = (options: ProxyMediatorModuleConfigOptions = {}) =>
    new DownstreamMediationService(
      new ProxyMediatorModuleConfig(options),
      store.service(),
      { grantRoute: () => route } as unknown as UpstreamFailover,
      {} as AgentDirectory,
      mediatorService as unknown as MediatorService,
      mediations as unknown as MediationRepository,
      invitations as unknown as OutOfBandRepository,
    )

  /** An agent connected through this out-of-band record (undefined: through none, as a legacy connection may be). */
  const agentConnectedThrough = async (outOfBandId: string | undefined) => {
    const connection = new ConnectionRecord({
      role: DidExchangeRole.Responder,
      state: DidExchangeState.Completed,
      outOfBandId,
      theirLabel: 'ACA-Py agent',
    })
    await connections.save(agentContext, connection)
    return connection
  }
  const mediationRequestFrom = (connection: ConnectionRecord) =>
    new InboundMessageContext(new MediationRequestMessage({}), { agentContext, connection })
  const refusal = (error: unknown) => ({
    message: (error as Error).message,
    code: (error as ProblemReportError).problemReport.description.code,
  })

  describe('the agent invitation', () => {
    it('is made once and kept: the same URL on every call, and after a restart', async () => {
      const service = makeService()
      const first = await service.getAgentInvitation(agentContext)
      expect(await service.getAgentInvitation(agentContext)).toEqual(first)
      expect(await makeService().getAgentInvitation(agentContext)).toEqual(first)
      expect(createInvitation).toHaveBeenCalledTimes(1)
      expect(OutOfBandInvitation.fromUrl(first.invitationUrl).handshakeProtocols).toEqual([
        'https://didcomm.org/didexchange/1.1',
        'https://didcomm.org/didexchange/1.0',
        'https://didcomm.org/connections/1.0',
      ])
    })

    it('is made again when a single-use one was used, or when the configured format changes', async () => {
      const singleUse = makeService({ multiUseAgentInvitation: false })
      const first = await singleUse.getAgentInvitation(agentContext)
      ;(await invitations.getById(agentContext, first.outOfBandId)).state = OutOfBandState.Done
      const second = await singleUse.getAgentInvitation(agentContext)
      expect(second.invitationUrl).not.toBe(first.invitationUrl)

      const third = await makeService({
        multiUseAgentInvitation: false,
        agentInvitationFormat: 'oob/1.0',
      }).getAgentInvitation(agentContext)
      expect(third.outOfBandId).not.toBe(second.outOfBandId)
      expect(OutOfBandInvitation.fromUrl(third.invitationUrl).type).toBe(
        'https://didcomm.org/out-of-band/1.0/invitation',
      )
    })
  })

  describe('granting mediation', () => {
    it("grants an agent that came through the agent invitation, naming the external mediator's endpoint, the proxy's key, then the mediator's", async () => {
      const service = makeService()
      const agent = await agentConnectedThrough((await service.getAgentInvitation(agentContext)).outOfBandId)
      const request = mediationRequestFrom(agent)
      const outbound = await service.handleMediationRequest(request)
      expect(outbound.message).toBeInstanceOf(MediationGrantMessage)
      expect(outbound.message).toMatchObject({
        endpoint: MEDIATOR_ROUTE.endpoint,
        routingKeys: [verkeyToDidKey(PROXY_ROUTING_KEY), ...MEDIATOR_ROUTE.routingKeys.map(verkeyToDidKey)],
        threadId: request.message.threadId,
      })
      expect(outbound.connection).toBe(agent)
      expect(mediations.all).toEqual([
        expect.objectContaining({
          connectionId: agent.id,
          role: MediationRole.Mediator,
          state: MediationState.Granted,
        }),
      ])
    })

    it("in transparent mode, names the external mediator's route alone: it routes the agent's own keys", async () => {
      const service = makeService({ relayMode: 'transparent' })
      const agent = await agentConnectedThrough((await service.getAgentInvitation(agentContext)).outOfBandId)
      const outbound = await service.handleMediationRequest(mediationRequestFrom(agent))
      expect(outbound.message).toMatchObject({
        endpoint: MEDIATOR_ROUTE.endpoint,
        routingKeys: MEDIATOR_ROUTE.routingKeys.map(verkeyToDidKey),
      })
    })

    it('refuses an agent that connected any other way, with a problem report, and records no mediation', async () => {
      const service = makeService()
      await service.getAgentInvitation(agentContext)
      const otherInvitation = (await createInvitation({
        label: 'for something else',
        multiUseInvitation: false,
      })) as OutOfBandRecord
      for (const agent of [await agentConnectedThrough(otherInvitation.id), await agentConnectedThrough(undefined)]) {
        const refused = await service.handleMediationRequest(mediationRequestFrom(agent)).catch((error) => error)
        expect(refused).toBeInstanceOf(ProblemReportError)
        expect(refusal(refused)).toEqual({
          message: 'Mediation refused: this proxy mediates only agents that connected through its own agent invitation',
          code: 'request_not_accepted',
        })
      }
      expect(mediations.all).toEqual([])
    })

    it('refuses while the proxy is not picking up from an external mediator, and grants once it is', async () => {
      const service = makeService()
      const agent = await agentConnectedThrough((await service.getAgentInvitation(agentContext)).outOfBandId)
      route = undefined
      const refused = await service.handleMediationRequest(mediationRequestFrom(agent)).catch((error) => error)
      expect(refused).toBeInstanceOf(ProblemReportError)
      expect(refusal(refused)).toEqual({
        message:
          'Mediation refused for now: the proxy is not yet picking up from an external mediator; try again once its status is ready',
        code: 'request_not_accepted',
      })
      expect(mediations.all).toEqual([])

      route = MEDIATOR_ROUTE
      const outbound = await service.handleMediationRequest(mediationRequestFrom(agent))
      expect(outbound.message).toMatchObject({ endpoint: MEDIATOR_ROUTE.endpoint })
    })

    it('grants an agent that asks again on the thread of its new request, with the route of now, keeping its one mediation', async () => {
      const service = makeService()
      const agent = await agentConnectedThrough((await service.getAgentInvitation(agentContext)).outOfBandId)
      await service.handleMediationRequest(mediationRequestFrom(agent))
      route = { endpoint: 'https://other-mediator.example/didcomm', routingKeys: [] }
      const again = mediationRequestFrom(agent)
      const outbound = await service.handleMediationRequest(again)
      expect(outbound.message).toMatchObject({
        endpoint: 'https://other-mediator.example/didcomm',
        routingKeys: [verkeyToDidKey(PROXY_ROUTING_KEY)],
        threadId: again.message.threadId,
      })
      expect(mediations.all).toEqual([
        expect.objectContaining({ state: MediationState.Granted, threadId: again.message.threadId }),
      ])
    })
  })

  describe('announcing the route', () => {
    /** An agent granted mediation before, on its own thread; `requested` one still waiting for its grant. */
    const agentWithMediation = async (state = MediationState.Granted) => {
      const connection = await agentConnectedThrough('an invitation')
      const record = new MediationRecord({
        connectionId: connection.id,
        role: MediationRole.Mediator,
        state,
        threadId: `mediate-request of ${connection.id}`,
      })
      await mediations.save(agentContext, record)
      return { connection, record }
    }

    it("tells every granted agent the route of now, with a fresh grant on its mediation's thread", async () => {
      const first = await agentWithMediation()
      const second = await agentWithMediation()
      await agentWithMediation(MediationState.Requested)
      expect(await makeService().announceRoute(agentContext)).toBe(2)
      expect(sent.map(({ message, connection }) => [connection?.id, message])).toEqual(
        [first, second].map(({ connection, record }) => [
          connection.id,
          expect.objectContaining({
            type: MediationGrantMessage.type.messageTypeUri,
            endpoint: MEDIATOR_ROUTE.endpoint,
            routingKeys: [verkeyToDidKey(PROXY_ROUTING_KEY), ...MEDIATOR_ROUTE.routingKeys.map(verkeyToDidKey)],
            thread: expect.objectContaining({ threadId: record.threadId }),
          }),
        ]),
      )
    })

    it('tells no one while there is no route to tell', async () => {
      await agentWithMediation()
      route = undefined
      expect(await makeService().announceRoute(agentContext)).toBe(0)
      expect(sent).toEqual([])
    })

    it('goes on to the next agent when one cannot be told, and counts only those told', async () => {
      const gone = await agentWithMediation()
      const told = await agentWithMediation()
      await connections.delete(agentContext, gone.connection)
      expect(await makeService().announceRoute(agentContext)).toBe(1)
      expect(sent.map(({ connection }) => connection?.id)).toEqual([told.connection.id])
      expect(logger.warn).toHaveBeenCalledWith(`Could not tell agent ${gone.connection.id} of the new route`, {
        error: expect.any(Error),
      })
    })
  })
})
