#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RoleEnv, type RoleName, RoleProcess, RunnerProcess, freePort, stopAllChildren } from '@proxy-mediator/topology'
import yargs from 'yargs'

/**
 * `yarn demo`: the whole topology on loopback, one process per role, set up through the
 * runner's HTTP routes as an integration script would, then N messages from the sender to the
 * agent. Ends with `delivered N/N messages` (exit 0) or the list of failures (exit 1).
 */
const argv = yargs(process.argv.slice(2))
  .scriptName('yarn demo')
  .option('messages', { type: 'number', default: 20, describe: 'Messages to send from the sender to the agent' })
  .option('timeout', { type: 'number', default: 120_000, describe: 'Milliseconds the whole demo may take' })
  .option('keep', { type: 'boolean', default: false, describe: 'Keep the temporary storage directory' })
  .strict()
  .parseSync()

const STARTUP_TIMEOUT_MS = 60_000
const roles: Array<{ name: string; stderr: string[] }> = []
const storage = mkdtempSync(join(tmpdir(), 'proxy-mediator-demo-'))
let cleaningUp = false

const step = (text: string) => process.stdout.write(`• ${text}\n`)

function startRole(name: string, role: RoleName, port: number): RoleProcess {
  const started = RoleProcess.start(name, role, {
    [RoleEnv.port]: String(port),
    [RoleEnv.storage]: join(storage, name),
  })
  roles.push(started)
  return started
}

function startProxy(port: number, adminPort: number): RunnerProcess {
  const proxy = RunnerProcess.start({
    name: 'proxy',
    cliPath: join(__dirname, '..', 'cli.js'),
    baseUrl: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    args: [
      ...['--host', '127.0.0.1', '--port', String(port), '--endpoint', `http://127.0.0.1:${port}`],
      ...['--admin-port', String(adminPort)],
      ...['--wallet-key', 'demo-wallet-key', '--storage-dir', join(storage, 'proxy'), '--log-level', 'warn'],
      ...['--log-format', 'json'],
    ],
    maxLogLines: 40,
  })
  roles.push({ name: 'proxy', stderr: proxy.logLines })
  return proxy
}

async function httpJson(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  })
  const json = (await response.json()) as Record<string, unknown>
  if (!response.ok) throw new Error(`${method} ${url} -> ${response.status} ${JSON.stringify(json)}`)
  return json
}

async function cleanUp() {
  if (cleaningUp) return
  cleaningUp = true
  await stopAllChildren()
  if (!argv.keep) rmSync(storage, { recursive: true, force: true })
}

async function run(): Promise<number> {
  const total = argv.messages
  const [mediatorPort, proxyPort, proxyAdminPort, agentPort, senderPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ])
  // The routes an integration script calls are on the proxy's admin listener.
  const proxyUrl = `http://127.0.0.1:${proxyAdminPort}`

  step(
    `starting the external mediator (:${mediatorPort}), the proxy (:${proxyPort}, admin routes on :${proxyAdminPort}), the agent (:${agentPort}, HTTP only) and the sender`,
  )
  const mediator = startRole('mediator', 'externalMediatorRole', mediatorPort)
  const proxy = startProxy(proxyPort, proxyAdminPort)
  const agent = startRole('agent', 'edgeAgentRole', agentPort)
  const sender = startRole('sender', 'senderRole', senderPort)
  await Promise.all([
    mediator.ready(STARTUP_TIMEOUT_MS),
    agent.ready(STARTUP_TIMEOUT_MS),
    sender.ready(STARTUP_TIMEOUT_MS),
    proxy.waitForJson('/status', (_body, status) => status === 200, STARTUP_TIMEOUT_MS, 'GET /status to answer'),
  ])

  step("POST /receive_mediator_invitation with the external mediator's invitation")
  const mediatorInvitation = await mediator.request<string>('invitation')
  const connected = await httpJson('POST', `${proxyUrl}/receive_mediator_invitation`, {
    invitation_url: mediatorInvitation,
  })
  step(`proxy status: ${connected.status}`)

  step('GET /retrieve_agent_invitation; the agent accepts it and requests mediation')
  const { invitation_url: agentInvitation } = await httpJson('GET', `${proxyUrl}/retrieve_agent_invitation`)
  await agent.request('useProxy', agentInvitation)

  step('the sender connects to the agent through the external mediator and the proxy')
  await sender.request('connect', await agent.request<string>('mediatedInvitation'))

  step(`sending ${total} messages`)
  const expected = Array.from({ length: total }, (_, index) => `demo message ${index + 1}`)
  const sendFailures: string[] = []
  for (const content of expected) {
    await sender.request('send', content).catch((error: Error) => sendFailures.push(`${content}: ${error.message}`))
  }

  const deadline = Date.now() + Math.max(10_000, total * 500)
  let received = new Set<string>()
  let shown = -1
  while (Date.now() < deadline) {
    received = new Set(await agent.request<string[]>('received'))
    if (received.size !== shown) {
      shown = received.size
      process.stdout.write(`  received ${received.size}/${total}\n`)
    }
    if (expected.every((content) => received.has(content))) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }

  const delivered = expected.filter((content) => received.has(content)).length
  process.stdout.write(`delivered ${delivered}/${total} messages\n`)
  if (delivered === total) return 0
  for (const failure of sendFailures) process.stdout.write(`  send failed: ${failure}\n`)
  for (const content of expected.filter((candidate) => !received.has(candidate)))
    process.stdout.write(`  not delivered: ${content}\n`)
  return 1
}

const overall = setTimeout(() => {
  process.stderr.write(`The demo took longer than ${argv.timeout} ms\n`)
  void cleanUp().finally(() => process.exit(1))
}, argv.timeout)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping every process of the demo\n`)
    void cleanUp().finally(() => process.exit(130))
  })
}

run()
  .catch((error: Error) => {
    process.stdout.write(`demo failed: ${error.message}\n`)
    const tails = roles.flatMap(({ name, stderr }) => stderr.map((line) => `[${name}] ${line}`))
    if (tails.length) process.stdout.write(`last lines of the role processes:\n${tails.join('\n')}\n`)
    return 1
  })
  .then(async (code) => {
    clearTimeout(overall)
    await cleanUp()
    process.exit(code)
  })
