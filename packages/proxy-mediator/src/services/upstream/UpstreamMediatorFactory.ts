import {
  type AgentContext,
  ConnectionService,
  MediationRepository,
  MessagePickupApi,
  MessageSender,
  injectable,
} from '@credo-ts/core'
import { ProxyMediatorModuleConfig } from '../../ProxyMediatorModuleConfig'
import type { UpstreamMediatorEntry } from '../../repository/ProxyMediatorStateRecord'
import { RelayPipeline } from '../relay/RelayPipeline'
import { UpstreamChannel } from './UpstreamChannel'
import { UpstreamMediationService } from './UpstreamMediationService'
import { UpstreamMediator, type UpstreamMediatorLinks } from './UpstreamMediator'
import { UpstreamSession, type UpstreamSessionDependencies } from './UpstreamSession'

/**
 * Makes the object of one external mediator, from its stored entry and Credo's mediation record,
 * with what it needs of the agent: the channel its frames and acknowledgements go through, the
 * pickup API its session uses, the keylist update, the relay's count of what is in flight.
 */
@injectable()
export class UpstreamMediatorFactory {
  private readonly sessionDependencies: UpstreamSessionDependencies

  public constructor(
    config: ProxyMediatorModuleConfig,
    messagePickupApi: MessagePickupApi,
    connectionService: ConnectionService,
    messageSender: MessageSender,
    private readonly channel: UpstreamChannel,
    private readonly mediationRepository: MediationRepository,
    private readonly recipient: UpstreamMediationService,
    private readonly pipeline: RelayPipeline,
  ) {
    this.sessionDependencies = { config, messagePickupApi, connectionService, messageSender }
  }

  /** `onReadyChange` hears every change of the mediator's readiness, as it happens. */
  public async create(
    agentContext: AgentContext,
    entry: UpstreamMediatorEntry,
    onReadyChange: (mediator: UpstreamMediator) => void,
  ): Promise<UpstreamMediator> {
    const record = await this.mediationRepository.findById(agentContext, entry.mediationRecordId)
    const grant = { endpoint: record?.endpoint, routingKeys: record?.routingKeys ?? [] }
    const links: UpstreamMediatorLinks = {
      open: (mediator) => this.channel.open(agentContext, mediator),
      acknowledge: (mediator, messageIds) =>
        this.channel.sendAcknowledgement(agentContext, mediator, mediator.id, messageIds),
      updateKeylist: async (mediator, changes) => {
        const mediation = await this.mediationRepository.getById(agentContext, mediator.entry.mediationRecordId)
        await this.recipient.updateKeylist(agentContext, mediation, changes)
      },
      relaysInFlight: (mediator) => this.pipeline.relaysInFlightFrom(mediator.id),
      socketState: (mediator) => this.channel.socketState(mediator),
      pull: (context, mediator) => this.channel.pull(context, mediator),
      quiet: (context, mediator) => this.channel.quiet(context, mediator),
    }
    return new UpstreamMediator(
      entry,
      grant,
      links,
      (mediator) =>
        new UpstreamSession(this.sessionDependencies, agentContext, mediator, () => onReadyChange(mediator)),
    )
  }
}
