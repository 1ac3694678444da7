import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogLevel } from '@credo-ts/core'
import {
  AcapyLikeAgent,
  AcapyLikeMediator,
  type AcapyLikeMediatorOptions,
  ForwardingSender,
  type InvitationHandshake,
  type Route,
} from '@proxy-mediator/acapy-like-peer'
import { freePort, waitFor } from '@proxy-mediator/topology'
import type { ProxyMediatorStatus } from '../../models/ProxyMediatorStatus'
import { type TestProxy, type TestProxyOptions, startProxy } from './startProxy'

export interface AcapyMediatorTopologyOptions {
  mediator?: AcapyLikeMediatorOptions
  /** What the mediator's invitation offers. @default ['didexchange/1.1', 'didexchange/1.0'] */
  handshakes?: InvitationHandshake[]
  proxy?: Partial<TestProxyOptions>
}

/**
 * sender ─▶ ACA-Py-like external mediator ◀═ websocket ═ proxy ─▶ ACA-Py-like agent: the proxy is
 * the module in a real Credo agent; every other role is `@proxy-mediator/acapy-like-peer`, with no
 * Credo code, on loopback.
 */
export class AcapyMediatorTopology {
  public proxy!: TestProxy
  public connectStatus!: ProxyMediatorStatus
  public route!: Route

  private constructor(
    public readonly mediator: AcapyLikeMediator,
    public readonly agent: AcapyLikeAgent,
    public readonly sender: ForwardingSender,
    private readonly proxyOptions: TestProxyOptions,
    private readonly dir: string,
  ) {}

  public static async start(options: AcapyMediatorTopologyOptions = {}): Promise<AcapyMediatorTopology> {
    const dir = mkdtempSync(join(tmpdir(), 'acapy-mediator-'))
    const topology = new AcapyMediatorTopology(
      await AcapyLikeMediator.start(options.mediator),
      await AcapyLikeAgent.start(),
      await ForwardingSender.create(),
      {
        port: await freePort(),
        storagePath: join(dir, 'proxy'),
        // PROXY_LOG=2 (Credo's LogLevel.debug) shows the proxy's side of a failing case.
        logLevel: Number(process.env.PROXY_LOG ?? LogLevel.off),
        ...options.proxy,
      },
      dir,
    )
    try {
      await topology.startProxy()
      topology.connectStatus = await topology.proxy.api.connectToMediator(
        topology.mediator.createInvitationUrl(options.handshakes ?? ['didexchange/1.1', 'didexchange/1.0']),
      )
      await topology.agent.connect((await topology.proxy.api.getAgentInvitation()).invitationUrl, {
        protocol: 'didexchange/1.1',
        did: 'peer:4-long',
      })
      const grant = await topology.agent.requestMediation()
      await topology.agent.registerKey()
      topology.route = { recipientKey: topology.agent.routedKey.verkey, ...grant }
    } catch (error) {
      await topology.stop()
      throw error
    }
    return topology
  }

  /** The proxy on its port and storage: after a stop, it resumes what was set up, with no call. */
  public async startProxy(): Promise<TestProxy> {
    this.proxy = await startProxy(this.proxyOptions)
    return this.proxy
  }

  /** Posts `count` forwards `${prefix}-${i}` to the mediator, `concurrency` at a time, retrying as ACA-Py's outbound does. */
  public async send(prefix: string, count: number, { concurrency = 1 } = {}): Promise<string[]> {
    const contents = Array.from({ length: count }, (_, index) => `${prefix}-${index}`)
    await this.sender.sendConcurrently(this.route, contents, { concurrency })
    return contents
  }

  /** Waits until the agent has every one of `contents` at least once. */
  public async waitForAll(contents: string[], timeoutMs = 60_000): Promise<void> {
    const wanted = new Set(contents)
    const have = () => new Set(this.agent.basicMessages().filter((content) => wanted.has(content))).size
    await waitFor(have, contents.length, timeoutMs, `of ${contents.length} messages`)
  }

  /** How many times the agent got each of `contents` beyond the first. */
  public duplicatesOf(contents: string[]): number {
    const wanted = new Set(contents)
    const received = this.agent.basicMessages().filter((content) => wanted.has(content))
    return received.length - new Set(received).size
  }

  public async stop(): Promise<void> {
    await this.agent.stop().catch(() => undefined)
    await this.proxy?.stop().catch(() => undefined)
    await this.mediator.stop().catch(() => undefined)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
