import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RelayCounters } from '@proxy-mediator/proxy-mediator'
import {
  RoleEnv,
  RoleProcess,
  RunnerProcess,
  type StreamProgress,
  freePort,
  stopAllChildren,
} from '@proxy-mediator/topology'

/** The built runner (`yarn test` builds first), run as a real child process. */
export const RUNNER_CLI = join(__dirname, '..', '..', '..', '..', 'build', 'cli.js')
export const WALLET_KEY = 'fault-suite-wallet-key'
export const STARTUP_TIMEOUT_MS = 60_000

export interface ProcessTopologyOptions {
  /** The runner's --keepalive-interval. @default 1000 */
  keepaliveIntervalMs?: number
  /** How long the external mediator keeps an unacknowledged message invisible. @default 3000 */
  visibilityTimeoutMs?: number
  /** More runner flags, e.g. --max-body-size. */
  runnerArgs?: string[]
  /** The runner's --admin-api-key; the topology's own calls send it. */
  adminApiKey?: string
  /** Start only the proxy (no mediator, agent or sender, no set-up). */
  proxyOnly?: boolean
  /** Where the runner keeps its wallet and state (e.g. a small file system the test fills). @default a folder of the topology */
  proxyStorageDir?: string
}

/**
 * sender ─▶ external mediator ◀═ pickup ═ proxy ─▶ agent, each in its own process: the proxy
 * is the real runner (so it can be SIGKILLed and restarted on its storage), the others are
 * the topology package's role processes (so they can be stopped, restarted or frozen).
 */
export class ProcessTopology {
  public proxy!: RunnerProcess
  public mediator!: RoleProcess
  public agent!: RoleProcess
  public sender!: RoleProcess
  /** How many times each process has been started, to name them in errors. */
  private starts = new Map<string, number>()

  private constructor(
    public readonly dir: string,
    public readonly ports: { proxy: number; proxyAdmin: number; mediator: number; agent: number; sender: number },
    private readonly options: ProcessTopologyOptions,
  ) {}

  public static async start(options: ProcessTopologyOptions = {}): Promise<ProcessTopology> {
    if (!existsSync(RUNNER_CLI)) throw new Error(`${RUNNER_CLI} does not exist; run \`yarn build\` first`)
    const dir = mkdtempSync(join(tmpdir(), 'pm-faults-'))
    const ports = {
      proxy: await freePort(),
      proxyAdmin: await freePort(),
      mediator: await freePort(),
      agent: await freePort(),
      sender: await freePort(),
    }
    const topology = new ProcessTopology(dir, ports, options)
    try {
      await topology.setUp()
    } catch (error) {
      await topology.stop()
      throw error
    }
    return topology
  }

  public get proxyStorageDir(): string {
    return this.options.proxyStorageDir ?? join(this.dir, 'proxy')
  }

  /** Starts the runner on its port and storage (a restart resumes from the storage, with no call). */
  public async startProxy(): Promise<RunnerProcess> {
    const port = this.ports.proxy
    this.proxy = RunnerProcess.start({
      name: this.nameOf('proxy'),
      cliPath: RUNNER_CLI,
      baseUrl: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${this.ports.proxyAdmin}`,
      args: [
        ...['--host', '127.0.0.1', '--port', String(port), '--endpoint', `http://127.0.0.1:${port}`],
        ...['--admin-port', String(this.ports.proxyAdmin)],
        ...['--wallet-key', WALLET_KEY, '--storage-dir', this.proxyStorageDir],
        ...['--log-format', 'json', '--log-level', 'info'],
        ...['--keepalive-interval', String(this.options.keepaliveIntervalMs ?? 1000)],
        ...['--reconnect-max-delay', '2000', '--relay-timeout', '5000'],
        ...(this.options.adminApiKey ? ['--admin-api-key', this.options.adminApiKey] : []),
        ...(this.options.runnerArgs ?? []),
      ],
      apiKey: this.options.adminApiKey,
    })
    await this.proxy.waitForJson('/status', (_body, status) => status === 200, STARTUP_TIMEOUT_MS, 'GET /status')
    return this.proxy
  }

  public async startMediator(): Promise<RoleProcess> {
    this.mediator = await this.startMediatorRole('mediator', this.ports.mediator)
    return this.mediator
  }

  /**
   * Another external mediator, in its own process with its own port, wallet and queue file; the
   * proxy knows of it only once it is given its invitation (e.g. POST /mediators).
   */
  public async startMediatorRole(name: string, port?: number): Promise<RoleProcess> {
    return this.startRole(name, 'externalMediatorRole', port ?? (await freePort()), {
      [RoleEnv.queueFile]: join(this.dir, `${name}-queue.json`),
      [RoleEnv.visibilityTimeoutMs]: String(this.options.visibilityTimeoutMs ?? 3000),
    })
  }

  /**
   * Connects the sender to a fresh mediated invitation of the agent, under `name`: the connection
   * routes through whatever the agent's default mediation granted when the invitation was made.
   * Returns the invitation's out-of-band id on the agent's side.
   */
  public async connectSender(name: string): Promise<string> {
    const { url, outOfBandId } = await this.agent.request<{ url: string; outOfBandId: string }>(
      'mediatedInvitationWithId',
    )
    await this.sender.request('connect', { invitationUrl: url, name })
    // The sender's last handshake message may still be on its way: wait until the agent has it too.
    await this.agent.request('invitationConnected', outOfBandId)
    return outOfBandId
  }

  public async startAgent(): Promise<RoleProcess> {
    this.agent = await this.startRole('agent', 'edgeAgentRole', this.ports.agent)
    return this.agent
  }

  /** Waits until `GET /status` shows `status` (and `extra`, if given, holds for it). */
  public waitForProxyStatus(
    status: ProxyStatus['status'],
    timeoutMs: number,
    extra: (body: ProxyStatus) => boolean = () => true,
  ): Promise<ProxyStatus> {
    return this.proxy.waitForJson<ProxyStatus>(
      '/status',
      (body) => body.status === status && extra(body),
      timeoutMs,
      `status ${status}`,
    )
  }

  public async status(): Promise<ProxyStatus> {
    const answer = await this.proxy.getJson<ProxyStatus>('/status')
    if (!answer || answer.status !== 200) throw new Error(`GET /status failed: ${JSON.stringify(answer)}`)
    return answer.body
  }

  /** Contents received by the agent process since it started, duplicates included. */
  public received(): Promise<string[]> {
    return this.agent.request<string[]>('received')
  }

  /**
   * Starts `count` messages `${prefix}-${i}` from the sender in the background (on the named
   * connection, else the last one made); returns the contents.
   */
  public async stream(prefix: string, count: number, intervalMs = 0, connection?: string): Promise<string[]> {
    await this.sender.request('stream', { prefix, count, intervalMs, connection })
    return Array.from({ length: count }, (_, index) => `${prefix}-${index}`)
  }

  public progress(): Promise<StreamProgress> {
    return this.sender.request<StreamProgress>('progress')
  }

  /**
   * Polls the agent until it has received every one of `expected` at least once; rejects
   * after `timeoutMs` naming how many are missing.
   */
  public async waitForDelivery(expected: string[], timeoutMs: number): Promise<DeliveryReport> {
    const deadline = Date.now() + timeoutMs
    let report = await this.deliveryReport(expected)
    while (report.missing.length > 0) {
      if (Date.now() > deadline) {
        throw new Error(
          `${report.missing.length} of ${expected.length} not delivered within ${timeoutMs} ms, e.g. ${report.missing.slice(0, 5).join(', ')}; sender: ${JSON.stringify(await this.progress())}`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
      report = await this.deliveryReport(expected)
    }
    return report
  }

  public async deliveryReport(expected: string[]): Promise<DeliveryReport> {
    const wanted = new Set(expected)
    const received = (await this.received()).filter((content) => wanted.has(content))
    const unique = new Set(received)
    return {
      sent: expected.length,
      received: received.length,
      unique: unique.size,
      duplicates: received.length - unique.size,
      missing: expected.filter((content) => !unique.has(content)),
    }
  }

  public async stop(): Promise<void> {
    await stopAllChildren()
    rmSync(this.dir, { recursive: true, force: true })
  }

  private async setUp(): Promise<void> {
    if (this.options.proxyOnly) {
      await this.startProxy()
      return
    }
    const [, , , sender] = await Promise.all([
      this.startMediator(),
      this.startProxy(),
      this.startAgent(),
      this.startRole('sender', 'senderRole', this.ports.sender),
    ])
    this.sender = sender

    // Set up as an integration script would: through the runner's routes.
    const connected = await this.proxy.postJson('/receive_mediator_invitation', {
      invitation_url: await this.mediator.request<string>('invitation'),
    })
    if (connected.status !== 200) throw new Error(`receive_mediator_invitation: ${JSON.stringify(connected)}`)
    const invitation = await this.proxy.getJson<{ invitation_url: string }>('/retrieve_agent_invitation')
    await this.agent.request('useProxy', invitation?.body.invitation_url)
    await this.sender.request('connect', await this.agent.request<string>('mediatedInvitation'))
  }

  private async startRole(
    name: string,
    role: 'externalMediatorRole' | 'edgeAgentRole' | 'senderRole',
    port: number,
    env: Record<string, string> = {},
  ): Promise<RoleProcess> {
    const started = RoleProcess.start(this.nameOf(name), role, {
      [RoleEnv.port]: String(port),
      [RoleEnv.storage]: join(this.dir, name),
      ...env,
    })
    await started.ready(STARTUP_TIMEOUT_MS)
    return started
  }

  private nameOf(name: string): string {
    const count = (this.starts.get(name) ?? 0) + 1
    this.starts.set(name, count)
    return count === 1 ? name : `${name} (start ${count})`
  }
}

export interface DeliveryReport {
  sent: number
  /** Deliveries of the expected contents, duplicates included. */
  received: number
  unique: number
  duplicates: number
  missing: string[]
}

/** The parts of the runner's GET /status the suite reads. */
export interface ProxyStatus {
  status: 'init' | 'setup' | 'ready' | 'degraded'
  reason: string
  upstream: { socketState: string; reconnects: number; proxyRoutingKey?: string; pickupMode?: string }
  mediators: Array<{
    id: string
    role: 'primary' | 'standby' | 'draining'
    state: 'setup' | 'ready'
    endpoint?: string
    routingKeys: string[]
    socketState: string
    namedInGrants: boolean
    heldMessages?: number
    relaysInFlight: number
    lastError?: string
  }>
  agents: Array<{
    connectionId: string
    label?: string
    recipientKeys: string[]
    state: 'ok' | 'failing'
    lastError?: string
    backlog: number
  }>
  counters: RelayCounters
}

/** For the Reliability table: one line per case in the test output. */
export function report(fault: string, facts: Record<string, unknown>): void {
  console.log(`[fault suite] ${fault}: ${JSON.stringify(facts)}`)
}

/**
 * Starts a process topology before the tests of the enclosing `describe` and stops it (every
 * child process, and its directory) after them. Returns a getter for the running topology.
 */
export function useProcessTopology(options: ProcessTopologyOptions = {}): () => ProcessTopology {
  let topology: ProcessTopology | undefined
  beforeAll(async () => {
    topology = await ProcessTopology.start(options)
  }, 120_000)
  afterAll(async () => {
    await topology?.stop()
  })
  return () => {
    if (!topology) throw new Error('the process topology did not start')
    return topology
  }
}
