import {
  type AgentContext,
  ConnectionService,
  MediationRepository,
  type OutOfBandInvitation,
  type OutOfBandRecord,
  OutOfBandRepository,
  OutOfBandRole,
  injectable,
} from '@credo-ts/core'

/**
 * What Credo kept of a mediator invitation the proxy received before: to know the same invitation
 * again (a script that calls twice) before any connection is made, and to forget an abandoned
 * attempt, which Credo would otherwise refuse to receive again as "already received".
 */
@injectable()
export class ReceivedMediatorInvitations {
  public constructor(
    private readonly connectionService: ConnectionService,
    private readonly mediationRepository: MediationRepository,
    private readonly outOfBandRepository: OutOfBandRepository,
  ) {}

  /** Every earlier receipt of this invitation, with the ids of the connections each one led to. */
  public async receiptsOf(
    agentContext: AgentContext,
    invitation: OutOfBandInvitation,
  ): Promise<Array<{ record: OutOfBandRecord; connectionIds: string[] }>> {
    const records = await this.outOfBandRepository.findByQuery(agentContext, {
      invitationId: invitation.id,
      role: OutOfBandRole.Receiver,
    })
    return Promise.all(
      records.map(async (record) => ({
        record,
        connectionIds: (await this.connectionService.findAllByOutOfBandId(agentContext, record.id)).map(({ id }) => id),
      })),
    )
  }

  /** An earlier, abandoned use of an invitation: its connections, their mediations, and the invitation itself. */
  public async forget(agentContext: AgentContext, outOfBandRecord: OutOfBandRecord): Promise<void> {
    for (const connection of await this.connectionService.findAllByOutOfBandId(agentContext, outOfBandRecord.id)) {
      const mediations = await this.mediationRepository.findByQuery(agentContext, { connectionId: connection.id })
      for (const mediation of mediations) await this.mediationRepository.delete(agentContext, mediation)
      await this.connectionService.deleteById(agentContext, connection.id)
    }
    await this.outOfBandRepository.delete(agentContext, outOfBandRecord)
    agentContext.config.logger.info('Forgot an earlier, abandoned connection through this mediator invitation', {
      outOfBandId: outOfBandRecord.id,
    })
  }
}
