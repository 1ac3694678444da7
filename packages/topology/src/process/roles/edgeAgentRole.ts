import { DidKey } from '@credo-ts/core'
import { Egress } from '@proxy-mediator/proxy-mediator'
import {
  awaitInvitationConnected,
  createMediatedInvitation,
  createMediatedInvitationUrl,
  randomVerkeys,
  registerKeys,
  removeInvitationKeys,
  requestMediationAgain,
  startEdgeAgent,
  useProxyAsMediator,
} from '../../edgeAgent'
import { RoleEnv } from '../ipc'
import { roleEndpoint, rolePort, roleStorage, roleTls, runRole, serveRole } from '../serveRole'

/** Role process: the agent behind the firewall, with an HTTP endpoint only. */
runRole('edge agent', async () => {
  const agent = await startEdgeAgent({
    port: rolePort(),
    endpoint: roleEndpoint(),
    label: 'role-agent',
    storagePath: roleStorage(),
    tls: roleTls(),
    fetch: process.env[RoleEnv.egressProxy]
      ? new Egress({ proxyUrl: process.env[RoleEnv.egressProxy], noProxy: process.env.NO_PROXY ?? '' }).fetch
      : undefined,
  })
  serveRole(
    {
      // What an integration script does with GET /retrieve_agent_invitation's URL.
      useProxy: async (invitationUrl) => {
        await useProxyAsMediator(agent.agent, invitationUrl as string)
        return true
      },
      mediatedInvitation: () => createMediatedInvitationUrl(agent.agent),
      /** The same, with the out-of-band id that names its keys in `removeInvitationKeys`. */
      mediatedInvitationWithId: () => createMediatedInvitation(agent.agent),
      /** The connection id once one made through this invitation is complete on the agent's side too. */
      invitationConnected: (outOfBandId) => awaitInvitationConnected(agent.agent, outOfBandId as string),
      /** A fresh grant from the default mediator, which then routes new connections (Credo takes no unrequested grant). */
      requestMediationAgain: () => requestMediationAgain(agent.agent),
      /** The default mediation's grant as the agent holds it: endpoint and routing keys (base58). */
      defaultMediation: async () => {
        const record = await agent.agent.mediationRecipient.findDefaultMediator()
        return record ? { endpoint: record.endpoint, routingKeys: record.routingKeys } : null
      },
      /** Tells the mediator to stop routing the keys of an invitation and its connections; returns them as did:key. */
      removeInvitationKeys: (outOfBandId) => removeInvitationKeys(agent.agent, outOfBandId as string),
      /**
       * Registers these keys (did:key, as `removeInvitationKeys` returns them) with the default
       * mediator again; resolves with the mediator's answers counted by result.
       */
      registerKeysAgain: (didKeys) =>
        registerKeys(
          agent.agent,
          (didKeys as string[]).map((didKey) => DidKey.fromDid(didKey).key.publicKeyBase58),
        ),
      /**
       * Registers `count` fresh keys with the default mediator, `batchSize` to a keylist-update;
       * resolves with the mediator's answers counted by result, or rejects when one is refused.
       */
      registerRandomKeys: (args) => {
        const { count, batchSize, timeoutMs } = args as { count: number; batchSize?: number; timeoutMs?: number }
        return registerKeys(agent.agent, randomVerkeys(count), { batchSize, timeoutMs })
      },
      /** Contents of the basic messages received since this process started, duplicates included. */
      received: async () => agent.received,
      receivedCount: async () => agent.received.length,
    },
    { endpoint: agent.endpoints[0] },
    () => agent.stop(),
  )
})
