import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ExternalMediator, freePort, startExternalMediator } from '@proxy-mediator/topology'

// The real runner as a child process (`yarn test` builds first), against a real Credo mediator.
const runnerCli = join(__dirname, '..', '..', '..', 'build', 'cli.js')

function startRunner(port: number, storageDir: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      runnerCli,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      // The admin routes on the DIDComm port, as before the admin listener: the compatibility option.
      '--admin-port',
      String(port),
      '--endpoint',
      `http://127.0.0.1:${port}`,
      '--wallet-key',
      'restart-test-key',
      '--storage-dir',
      storageDir,
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  )
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

async function waitForStatus(baseUrl: string, wanted: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    last = await fetch(`${baseUrl}/status`).then(
      (response) => (response.ok ? response.json() : undefined),
      () => undefined,
    )
    if ((last as { status?: string } | undefined)?.status === wanted) return last as Record<string, unknown>
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`status never became ${wanted}; last: ${JSON.stringify(last)}`)
}

describe('runner restart', () => {
  let mediator: ExternalMediator
  let runner: ChildProcess | undefined
  let storageDir: string

  beforeAll(async () => {
    expect(existsSync(runnerCli)).toBe(true)
    mediator = await startExternalMediator({ port: await freePort() })
  })
  afterAll(async () => {
    await mediator?.stop()
  })
  beforeEach(() => {
    storageDir = mkdtempSync(join(tmpdir(), 'pm-restart-'))
  })
  afterEach(async () => {
    if (runner && runner.exitCode === null && runner.signalCode === null) {
      runner.kill('SIGKILL')
      await exited(runner)
    }
    rmSync(storageDir, { recursive: true, force: true })
  })

  it.each(['SIGTERM', 'SIGKILL'] as const)('resumes upstream pickup with no call after %s', async (signal) => {
    const port = await freePort()
    const baseUrl = `http://127.0.0.1:${port}`
    runner = startRunner(port, storageDir)
    await waitForStatus(baseUrl, 'init')

    const connect = await fetch(`${baseUrl}/receive_mediator_invitation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ invitation_url: await mediator.createInvitationUrl() }),
    })
    expect(connect.status).toBe(200)
    expect(await connect.json()).toMatchObject({ status: 'ready' })
    const before = (await (await fetch(`${baseUrl}/retrieve_agent_invitation`)).json()) as { invitation_url: string }
    expect(before.invitation_url).toMatch(/oob=/)

    runner.kill(signal)
    const exit = await exited(runner)
    if (signal === 'SIGTERM') expect(exit).toEqual({ code: 0, signal: null })
    else expect(exit.signal).toBe('SIGKILL')

    runner = startRunner(port, storageDir)
    const status = await waitForStatus(baseUrl, 'ready')
    expect(status).toMatchObject({
      status: 'ready',
      upstream: expect.objectContaining({ endpoint: mediator.endpoints[0] }),
    })
    const after = (await (await fetch(`${baseUrl}/retrieve_agent_invitation`)).json()) as { invitation_url: string }
    expect(after.invitation_url).toBe(before.invitation_url)
  })
})
