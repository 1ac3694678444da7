import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { proxyMediatorAgentConfig, proxyMediatorModules } from '@proxy-mediator/proxy-mediator'
import { freePort, startRoleAgent, until } from '@proxy-mediator/topology'
import { sleep } from './clock'
import { InspectorClient, inspectorUrlFrom } from './inspector'

/** The proxy under test, either the real runner in its own process or the module in-process. */
export interface ProxyUnderTest {
  kind: 'runner' | 'in-process'
  pid: number
  endpoint: string
  /** Where the runner's admin routes and /metrics are (the runner only). */
  adminUrl?: string
  connectToMediator(invitationUrl: string): Promise<void>
  agentInvitationUrl(): Promise<string>
  /** Resident set size of the proxy's process, in bytes. */
  rss(): number
  /** The runner's V8 inspector, when it was started with one (`inspect`). */
  inspector?: InspectorClient
  stop(): Promise<void>
}

export interface ProxyOptions {
  port: number
  storageDir: string
  relayConcurrency: number
  /** Write a V8 CPU profile of the runner into this directory (runner only). */
  cpuProfileDir?: string
  /** The proxy's `pickupBatchSize` (`--pickup-batch-size` of the runner): the limit of its delivery-requests. */
  pickupBatchSize?: number
  /** The proxy's `pickupWindow` (`--pickup-window` of the runner). */
  pickupWindow?: number
  logLevel?: string
  /** Start the runner with its V8 inspector on a free loopback port, and connect to it. */
  inspect?: boolean
  /** Node/V8 flags to start the runner with, for A/B runs; none by default, as `yarn start` and the container run it. */
  nodeFlags?: string[]
  /** The proxy's `--relay-mode`. @default 'proxy' */
  relayMode?: 'proxy' | 'transparent'
  /** The proxy's `--pickup-strategy`. @default 'live' (the bench's Credo mediator offers it) */
  pickupStrategy?: 'live' | 'auto'
}

export function rssOfPid(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status)
  return match ? Number(match[1]) * 1024 : Number.NaN
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuMsOfPid(pid: number): number {
  if (pid === process.pid) {
    const usage = process.cpuUsage()
    return (usage.user + usage.system) / 1000
  }
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 Hz on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

const RUNNER_CLI = join(__dirname, '..', '..', 'apps', 'proxy-mediator', 'build', 'cli.js')

async function httpJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init)
  const text = await response.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text)
  } catch {
    body = { text }
  }
  return { status: response.status, body }
}

/** `node apps/proxy-mediator/build/cli.js` as a child process, set up over its HTTP routes. */
export async function startRunner(options: ProxyOptions): Promise<ProxyUnderTest> {
  const endpoint = `http://127.0.0.1:${options.port}`
  // The routes it is set up through are on its admin listener.
  const adminUrl = `http://127.0.0.1:${await freePort()}`
  const nodeArgs = [...(options.nodeFlags ?? [])]
  if (options.cpuProfileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`)
  if (options.inspect) nodeArgs.push('--inspect=127.0.0.1:0')
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...nodeArgs,
      RUNNER_CLI,
      '--host=127.0.0.1',
      `--port=${options.port}`,
      `--admin-port=${new URL(adminUrl).port}`,
      `--endpoint=${endpoint}`,
      `--storage-dir=${options.storageDir}`,
      `--relay-concurrency=${options.relayConcurrency}`,
      `--log-level=${options.logLevel ?? 'error'}`,
      '--log-format=json',
      `--pickup-strategy=${options.pickupStrategy ?? 'live'}`,
      ...(options.pickupBatchSize ? [`--pickup-batch-size=${options.pickupBatchSize}`] : []),
      ...(options.pickupWindow ? [`--pickup-window=${options.pickupWindow}`] : []),
      ...(options.relayMode ? [`--relay-mode=${options.relayMode}`] : []),
    ],
    {
      env: { ...process.env, PROXY_MEDIATOR_WALLET_KEY: 'bench-wallet-key' },
      stdio: ['ignore', 'ignore', options.inspect ? 'pipe' : 'inherit'],
    },
  )
  let inspectorUrl: string | undefined
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8')
    inspectorUrl ??= inspectorUrlFrom(text)
    const rest = text
      .split('\n')
      .filter((line) => !/^(Debugger listening on|For help, see: https:\/\/nodejs.org\/en\/docs\/inspector)/.test(line))
      .join('\n')
    if (rest.trim()) process.stderr.write(rest)
  })
  let exited = false
  child.on('exit', () => {
    exited = true
  })
  await until(
    async () => {
      if (exited) throw new Error(`the runner exited with status ${child.exitCode}`)
      try {
        return (await fetch(`${endpoint}/health`)).ok
      } catch {
        return false
      }
    },
    60_000,
    'the runner to serve /health',
    100,
  )
  const inspector = inspectorUrl ? await InspectorClient.connect(inspectorUrl) : undefined
  if (options.inspect && !inspector) throw new Error('the runner did not say where its inspector listens')
  return {
    kind: 'runner',
    pid: child.pid ?? 0,
    endpoint,
    adminUrl,
    inspector,
    async connectToMediator(invitationUrl) {
      const { status, body } = await httpJson(`${adminUrl}/receive_mediator_invitation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invitation_url: invitationUrl }),
      })
      if (status >= 300)
        throw new Error(`POST /receive_mediator_invitation answered ${status}: ${JSON.stringify(body)}`)
      await until(async () => (await httpJson(`${adminUrl}/status`)).body.status === 'ready', 30_000, 'status ready')
    },
    async agentInvitationUrl() {
      const { status, body } = await httpJson(`${adminUrl}/retrieve_agent_invitation`)
      if (status !== 200 || typeof body.invitation_url !== 'string') {
        throw new Error(`GET /retrieve_agent_invitation answered ${status}: ${JSON.stringify(body)}`)
      }
      return body.invitation_url
    },
    rss: () => (exited ? Number.NaN : rssOfPid(child.pid ?? 0)),
    async stop() {
      inspector?.close()
      if (exited) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await Promise.race([gone, sleep(20_000)])
      if (!exited) child.kill('SIGKILL')
    },
  }
}

/** The module in the bench's own process, assembled as a module user would (for development and A/B runs). */
export async function startInProcessProxy(options: ProxyOptions): Promise<ProxyUnderTest> {
  const role = await startRoleAgent({
    label: 'proxy',
    port: options.port,
    storagePath: options.storageDir,
    outboundWebsocket: true,
    config: proxyMediatorAgentConfig,
    modules: proxyMediatorModules({
      pickupStrategy: options.pickupStrategy ?? 'live',
      relayConcurrencyPerAgent: options.relayConcurrency,
      pickupBatchSize: options.pickupBatchSize,
      pickupWindow: options.pickupWindow,
      relayMode: options.relayMode,
    }),
  })
  const api = role.agent.modules.proxyMediator
  await api.start()
  return {
    kind: 'in-process',
    pid: process.pid,
    endpoint: role.endpoints[0],
    async connectToMediator(invitationUrl) {
      await api.connectToMediator(invitationUrl)
    },
    async agentInvitationUrl() {
      return (await api.getAgentInvitation()).invitationUrl
    },
    rss: () => process.memoryUsage.rss(),
    async stop() {
      await api.stop()
      await role.stop()
    },
  }
}
