#!/usr/bin/env node
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@proxy-mediator/topology'
import yargs from 'yargs'
import { RoleProcess } from './RoleProcess'

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
const children: ChildProcess[] = []
const childErrors: string[] = []
const storage = mkdtempSync(join(tmpdir(), 'proxy-mediator-demo-'))
let cleaningUp = false

const step = (text: string) => process.stdout.write(`• ${text}\n`)

function keepTail(name: string, child: ChildProcess) {
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) childErrors.push(`[${name}] ${line}`)
    childErrors.splice(0, Math.max(0, childErrors.length - 40))
  })
}

function startRole(name: string, file: string, port: number): RoleProcess {
  const role = RoleProcess.start(name, join(__dirname, 'roles', file), {
    DEMO_PORT: String(port),
    DEMO_STORAGE: join(storage, name),
  })
  children.push(role.child)
  keepTail(name, role.child)
  return role
}

function startProxy(port: number): ChildProcess {
  const proxy = spawn(
    process.execPath,
    [
      join(__dirname, '..', 'cli.js'),
      ...['--host', '127.0.0.1', '--port', String(port), '--endpoint', `http://127.0.0.1:${port}`],
      ...['--wallet-key', 'demo-wallet-key', '--storage-dir', join(storage, 'proxy'), '--log-level', 'warn'],
      ...['--log-format', 'json'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  children.push(proxy)
  keepTail('proxy', proxy)
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

async function waitForHealth(baseUrl: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const healthy = await fetch(`${baseUrl}/status`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`the proxy did not serve ${baseUrl}/status within ${timeoutMs} ms`)
}

async function cleanUp() {
  if (cleaningUp) return
  cleaningUp = true
  const exits = children
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map(
      (child) =>
        new Promise<void>((resolve) => {
          const force = setTimeout(() => child.kill('SIGKILL'), 5_000)
          child.once('exit', () => {
            clearTimeout(force)
            resolve()
          })
          child.kill('SIGTERM')
        }),
    )
  await Promise.all(exits)
  if (!argv.keep) rmSync(storage, { recursive: true, force: true })
}

async function run(): Promise<number> {
  const total = argv.messages
  const [mediatorPort, proxyPort, agentPort, senderPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ])
  const proxyUrl = `http://127.0.0.1:${proxyPort}`

  step(
    `starting the external mediator (:${mediatorPort}), the proxy (:${proxyPort}), the agent (:${agentPort}, HTTP only) and the sender`,
  )
  const mediator = startRole('mediator', 'externalMediatorRole.js', mediatorPort)
  startProxy(proxyPort)
  const agent = startRole('agent', 'edgeAgentRole.js', agentPort)
  const sender = startRole('sender', 'senderRole.js', senderPort)
  await Promise.all([
    mediator.ready(STARTUP_TIMEOUT_MS),
    agent.ready(STARTUP_TIMEOUT_MS),
    sender.ready(STARTUP_TIMEOUT_MS),
    waitForHealth(proxyUrl, STARTUP_TIMEOUT_MS),
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
    if (childErrors.length) process.stdout.write(`last lines of the role processes:\n${childErrors.join('\n')}\n`)
    return 1
  })
  .then(async (code) => {
    clearTimeout(overall)
    await cleanUp()
    process.exit(code)
  })
