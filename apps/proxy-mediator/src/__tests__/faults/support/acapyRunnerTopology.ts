import {
  AcapyLikeAgent,
  AcapyLikeMediator,
  type AcapyLikeMediatorOptions,
  ForwardingSender,
  type Route,
} from '@proxy-mediator/acapy-like-peer'
import { type ProcessTopology, type ProcessTopologyOptions, useProcessTopology } from './processTopology'

/** The real runner with ACA-Py around it: an ACA-Py-like external mediator, agent and sender, in the test's process. */
export interface AcapyRunnerTopology {
  runner: ProcessTopology
  mediator: AcapyLikeMediator
  agent: AcapyLikeAgent
  sender: ForwardingSender
  /** The agent's grant from the proxy, with its key: what a sender wraps for. */
  route: Route
  /** Unique contents the agent got. */
  received(): Set<string>
}

/**
 * Starts the runner (`useProcessTopology`, proxy only) before the enclosing `describe`, sets it up
 * through its routes with an `AcapyLikeMediator`, and connects an `AcapyLikeAgent` to it, as an
 * integration script and ACA-Py would; stops everything after. Returns a getter.
 */
export function useAcapyRunnerTopology(
  options: { mediator?: AcapyLikeMediatorOptions; runner?: Omit<ProcessTopologyOptions, 'proxyOnly'> } = {},
): () => AcapyRunnerTopology {
  const useRunner = useProcessTopology({ ...options.runner, proxyOnly: true })
  let topology: AcapyRunnerTopology | undefined
  beforeAll(async () => {
    const runner = useRunner()
    const mediator = await AcapyLikeMediator.start(options.mediator)
    const connected = await runner.proxy.postJson<{ status: string }>('/receive_mediator_invitation', {
      invitation_url: mediator.createInvitationUrl(['didexchange/1.1', 'didexchange/1.0']),
    })
    if (connected.status !== 200) throw new Error(`receive_mediator_invitation: ${JSON.stringify(connected)}`)
    const agent = await AcapyLikeAgent.start()
    const invitation = await runner.proxy.getJson<{ invitation_url: string }>('/retrieve_agent_invitation')
    await agent.connect(String(invitation?.body.invitation_url), { protocol: 'didexchange/1.0', did: 'unqualified' })
    const grant = await agent.requestMediation()
    await agent.registerKey()
    topology = {
      runner,
      mediator,
      agent,
      sender: await ForwardingSender.create(),
      route: { recipientKey: agent.routedKey.verkey, ...grant },
      received: () => new Set(agent.basicMessages()),
    }
  }, 120_000)
  afterAll(async () => {
    await topology?.agent.stop()
    await topology?.mediator.stop()
  })
  return () => {
    if (!topology) throw new Error('the ACA-Py runner topology did not start')
    return topology
  }
}
