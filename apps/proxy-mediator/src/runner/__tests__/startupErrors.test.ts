import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@proxy-mediator/topology'

// The built runner (`yarn test` builds first), started as a user would start it.
const runnerCli = join(__dirname, '..', '..', '..', 'build', 'cli.js')
const runnerVersion = (require('../../../package.json') as { version: string }).version

interface Outcome {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI until it exits, or until `until` matches its output (then stops it with SIGTERM). */
function run(args: string[], env: Record<string, string> = {}, until?: RegExp): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runnerCli, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    const watch = () => {
      if (until?.test(stdout)) child.kill('SIGTERM')
    }
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      watch()
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('runner start-up errors: the field and the fix, exit 2, no stack', () => {
  let dir: string
  const base = (port: number, storageDir: string) => [
    ...['--host', '127.0.0.1', '--port', String(port), '--admin-port', String(port)],
    ...[
      '--endpoint',
      `http://127.0.0.1:${port}`,
      '--storage-dir',
      storageDir,
      '--log-format',
      'json',
      '--log-level',
      'info',
    ],
  ]

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'startup-errors-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const expectConfigError = (outcome: Outcome, field: string, message: RegExp) => {
    expect(outcome.code).toBe(2)
    expect(outcome.stderr).toContain(`- ${field}: `)
    expect(outcome.stderr).toMatch(message)
    expect(outcome.stderr).not.toMatch(/\n\s+at /)
  }

  it('echoes a number option as typed', async () => {
    const outcome = await run(['--port', 'abc', '--endpoint', 'http://x', '--wallet-key', 'k'])
    expectConfigError(outcome, 'port', /got 'abc'/)
  })

  it('refuses a storage directory under /proc at once, a file, and an impossible host', async () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'not a directory')
    const port = await freePort()
    expectConfigError(await run([...base(port, '/proc/nope'), '--wallet-key', 'k']), 'storage-dir', /under \/proc/)
    expectConfigError(await run([...base(port, file), '--wallet-key', 'k']), 'storage-dir', /is a file/)
    const badHost = await run([...base(port, join(dir, 'x')), '--wallet-key', 'k', '--host', '999.1.1.1'])
    expectConfigError(badHost, 'host', /not an IPv4 address/)
  })

  it('names a port in use', async () => {
    const port = await freePort()
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      const outcome = await run([...base(port, join(dir, 'port-in-use')), '--wallet-key', 'k'])
      expectConfigError(outcome, 'port', /already in use/)
    } finally {
      blocker.close()
    }
  })

  it('refuses a wrong wallet key on existing storage and leaves the wallet usable with the right one', async () => {
    const storageDir = join(dir, 'wallet')
    const port = await freePort()
    const started = /Proxy mediator ready for set-up/
    const first = await run(
      [...base(port, storageDir), '--wallet-key', 'the-right-key'],
      { PROXY_MEDIATOR_WALET_KEY: 'typo' },
      started,
    )
    expect(first.stdout).toMatch(started)
    // A misspelled variable is named, with the nearest real one; Credo's module warnings stay out.
    expect(first.stdout).toContain('Did you mean PROXY_MEDIATOR_WALLET_KEY?')
    expect(first.stdout).not.toMatch(/module is experimental/)
    for (const line of first.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow()

    expectConfigError(
      await run([...base(port, storageDir), '--wallet-key', 'a-wrong-key']),
      'wallet-key',
      /does not open the wallet/,
    )
    const again = await run([...base(port, storageDir), '--wallet-key', 'the-right-key'], {}, started)
    expect(again.stdout).toMatch(started)
  })

  it('refuses an admin listener outside loopback without a key, unless told --admin-insecure-mode', async () => {
    const port = await freePort()
    const adminPort = await freePort()
    const outside = [
      ...['--host', '127.0.0.1', '--port', String(port), '--endpoint', `http://127.0.0.1:${port}`],
      ...['--admin-host', '0.0.0.0', '--admin-port', String(adminPort)],
      ...['--storage-dir', join(dir, 'admin-outside'), '--log-format', 'json', '--wallet-key', 'k'],
    ]
    expectConfigError(await run(outside), 'admin-api-key', /outside loopback.*--admin-insecure-mode/)
    // The old single port on every interface is refused the same way.
    const shared = [...base(port, join(dir, 'admin-shared')), '--host', '0.0.0.0', '--wallet-key', 'k']
    expectConfigError(await run(shared), 'admin-api-key', /on the DIDComm port/)

    const started = /Proxy mediator ready for set-up/
    const insecure = await run([...outside, '--admin-insecure-mode'], {}, started)
    expect(insecure.stdout).toMatch(started)
    expect(insecure.stdout).toContain('--admin-insecure-mode lets it listen outside loopback')
  })

  it('names an admin port in use, and a TLS pair that is not one', async () => {
    const port = await freePort()
    const adminPort = await freePort()
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(adminPort, '127.0.0.1', resolve))
    try {
      const outcome = await run([
        ...['--host', '127.0.0.1', '--port', String(port), '--endpoint', `http://127.0.0.1:${port}`],
        ...['--admin-port', String(adminPort), '--storage-dir', join(dir, 'admin-in-use'), '--wallet-key', 'k'],
      ])
      expectConfigError(outcome, 'admin-port', /already in use/)
    } finally {
      blocker.close()
    }
    const notPem = join(dir, 'not-a-certificate.pem')
    writeFileSync(notPem, 'not PEM')
    const tls = await run([
      ...base(port, join(dir, 'tls')),
      '--wallet-key',
      'k',
      '--tls-cert',
      notPem,
      '--tls-key',
      notPem,
    ])
    expectConfigError(tls, 'tls-cert', /not a PEM certificate and its private key/)
    expectConfigError(
      await run([...base(port, join(dir, 'tls')), '--wallet-key', 'k', '--tls-cert', notPem]),
      'tls-key',
      /give both/,
    )
  })

  it('prints its version', async () => {
    const outcome = await run(['--version'])
    expect(outcome.code).toBe(0)
    expect(outcome.stdout.trim()).toBe(runnerVersion)
  })
})
