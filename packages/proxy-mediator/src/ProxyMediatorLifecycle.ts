import { type AgentContext, injectable } from '@credo-ts/core'
import { ProxyHealth } from './ProxyHealth'
import { AgentKeylists } from './services/downstream/AgentKeylists'
import { AgentDirectory } from './services/relay/AgentDirectory'
import { RelayPipeline } from './services/relay/RelayPipeline'
import { UpstreamMediators } from './services/upstream/UpstreamMediators'
import { Egress } from './transport/Egress'

/** How long `stop()` waits for relays in flight before giving up on them (they stay unacknowledged). */
const STOP_DRAIN_TIMEOUT_MS = 10_000

/**
 * Start, stop and drain, in the one order that loses nothing: the routing table (agents, then
 * their keys) and the relay before any message can arrive; on stop, no more pickup first, then the relays in flight settle,
 * then their acknowledgements go out, and only then the sockets to the agents close.
 */
@injectable()
export class ProxyMediatorLifecycle {
  private started = false

  public constructor(
    private readonly directory: AgentDirectory,
    private readonly keylists: AgentKeylists,
    private readonly pipeline: RelayPipeline,
    private readonly upstream: UpstreamMediators,
    private readonly health: ProxyHealth,
    private readonly egress: Egress,
  ) {}

  public async start(agentContext: AgentContext): Promise<void> {
    if (this.started) return
    this.started = true
    try {
      this.pipeline.start(agentContext)
      await this.directory.load(agentContext)
      await this.keylists.load(agentContext)
      const pending = await this.pipeline.resumeOutbox(agentContext)
      if (pending > 0) agentContext.config.logger.info(`Resuming ${pending} undelivered messages from the outbox`)
      await this.upstream.start(agentContext)
      this.health.start(agentContext)
    } catch (error) {
      // Undone, so that the app can call start again once the cause is fixed (the outbox stays).
      await this.stop().catch(() => undefined)
      throw error
    }
  }

  public async stop(): Promise<void> {
    this.started = false
    // Sessions stop first, so nothing new is picked up; the channel is closed after the drain, so
    // that the acknowledgements of the relays that settle meanwhile still go out.
    this.health.stop()
    await this.upstream.stopPickup()
    this.directory.stop()
    this.pipeline.stop()
    await this.pipeline.drain(STOP_DRAIN_TIMEOUT_MS)
    await this.upstream.stop()
    this.pipeline.close()
    // Its pools (tunnels through the proxy included) are made again if the proxy starts again.
    await this.egress.close()
  }
}
