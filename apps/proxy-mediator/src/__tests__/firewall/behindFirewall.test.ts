import { X509Certificate } from 'node:crypto'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { RoleEnv, RoleProcess, RunnerProcess, freePort, until } from '@proxy-mediator/topology'
import WebSocket from 'ws'
import { LoopbackBridge } from './support/LoopbackBridge'
import { NetworkNamespace } from './support/NetworkNamespace'
import { Tinyproxy } from './support/Tinyproxy'
import { requireFirewallTools } from './support/requireFirewallTools'
import { type IssuedCertificate, type TestCa, makeTestCa } from './support/testPki'

// The proxy inside a firewall, for real: a network namespace made here whose only way out is Debian's
// tinyproxy (HTTP CONNECT, with a password), an external mediator outside it that serves HTTPS and
// WSS with a certificate of a CA made here with openssl, and the runner (TLS on, the admin listener
// on its loopback) with the agent inside. Runs as root (yarn setup installs the tools).

const RUNNER_CLI = join(__dirname, '..', '..', '..', 'build', 'cli.js')
const STARTUP_MS = 60_000
const ADMIN_KEY = 'firewall-test-admin-key'
const PROXY_USER = 'egress'
const PROXY_PASSWORD = 'pr0xy-s3cret'
const MESSAGES = 20
/** What the environment of a runner that must not know of any proxy says. */
const NO_PROXY_ENV = { HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '', ALL_PROXY: '', all_proxy: '' }

interface StartedRunner {
  runner: RunnerProcess
  admin: LoopbackBridge
  port: number
  adminPort: number
  certificate: IssuedCertificate
}

describe('behind a firewall: egress through an HTTP CONNECT proxy, TLS on both sides, the admin listener apart', () => {
  let dir: string
  let namespace: NetworkNamespace | undefined
  let tinyproxy: Tinyproxy | undefined
  let ca: TestCa
  let otherCa: TestCa
  let mediator: RoleProcess | undefined
  let sender: RoleProcess | undefined
  let agent: RoleProcess | undefined
  let mediatorOrigin: string
  /** host:port of the sender, whom the agent answers through the egress proxy. */
  let senderOrigin: string
  const runners: StartedRunner[] = []

  /** The runner inside the namespace, over TLS with a certificate of the company CA, admin routes on its loopback. */
  async function startRunner(
    name: string,
    options: { env?: Record<string, string>; args?: string[]; waitForHealth?: boolean } = {},
  ): Promise<StartedRunner> {
    const ns = namespace as NetworkNamespace
    const port = await freePort()
    const adminPort = await freePort()
    const issued = ca.issue(name, ['IP:127.0.0.1', `IP:${ns.addresses.inside}`, 'DNS:localhost'])
    // Its own copy, which the reload test overwrites.
    const certificate = { certFile: join(dir, `${name}-served.pem`), keyFile: join(dir, `${name}-served.key`) }
    copyFileSync(issued.certFile, certificate.certFile)
    copyFileSync(issued.keyFile, certificate.keyFile)
    const runner = RunnerProcess.start({
      name,
      cliPath: RUNNER_CLI,
      launcher: ns.launcher,
      baseUrl: `https://${ns.addresses.inside}:${port}`,
      adminUrl: `https://127.0.0.1:${adminPort}`,
      env: options.env,
      args: [
        ...['--host', '0.0.0.0', '--port', String(port), '--endpoint', `https://127.0.0.1:${port}`],
        ...['--admin-port', String(adminPort)],
        ...['--tls-cert', certificate.certFile, '--tls-key', certificate.keyFile],
        ...['--wallet-key', 'firewall-test-wallet', '--storage-dir', join(dir, name)],
        ...['--log-format', 'json', '--log-level', 'info', '--mediator-timeout', '10000'],
        ...(options.args ?? []),
      ],
    })
    const admin = await LoopbackBridge.start(
      ns.launcher,
      join(dir, `${name}.sock`),
      adminPort,
      readFileSync(ca.caFile, 'utf8'),
    )
    const started = { runner, admin, port, adminPort, certificate }
    runners.push(started)
    if (options.waitForHealth !== false) {
      // The admin listener answers while the wallet opens (/status: 503 starting); started means 200.
      await until(
        async () => {
          if (runner.child.exitCode !== null) throw new Error(`${name} exited: ${runner.stderr.join('\n')}`)
          return (await admin.request('GET', '/status').catch(() => undefined))?.status === 200
        },
        STARTUP_MS,
        `${name} to have started`,
        200,
      )
    }
    return started
  }

  beforeAll(async () => {
    requireFirewallTools()
    dir = mkdtempSync(join(tmpdir(), 'pm-firewall-'))
    const proxyPort = await freePort()
    namespace = NetworkNamespace.create(proxyPort)
    const { host, inside } = namespace.addresses
    ca = makeTestCa(dir, 'company')
    otherCa = makeTestCa(dir, 'other')
    tinyproxy = await Tinyproxy.start({
      dir,
      listen: host,
      port: proxyPort,
      allow: inside,
      user: PROXY_USER,
      password: PROXY_PASSWORD,
    })

    const mediatorPort = await freePort()
    mediatorOrigin = `https://${host}:${mediatorPort}`
    const mediatorCertificate = ca.issue('mediator', [`IP:${host}`])
    mediator = RoleProcess.start('mediator', 'externalMediatorRole', {
      [RoleEnv.port]: String(mediatorPort),
      [RoleEnv.endpoint]: mediatorOrigin,
      [RoleEnv.tlsCert]: mediatorCertificate.certFile,
      [RoleEnv.tlsKey]: mediatorCertificate.keyFile,
    })
    // On the internet side, the sender trusts the company CA the mediator's certificate comes from.
    const senderPort = await freePort()
    sender = RoleProcess.start('sender', 'senderRole', {
      [RoleEnv.port]: String(senderPort),
      [RoleEnv.endpoint]: `http://${host}:${senderPort}`,
      NODE_EXTRA_CA_CERTS: ca.caFile,
    })
    // Inside: the agent, over HTTPS too, trusting the company CA (the proxy's certificate). Its answers
    // to the sender (the DID exchange) go out through the egress proxy as well; the proxy it reaches directly.
    const agentPort = await freePort()
    const agentCertificate = ca.issue('agent', ['IP:127.0.0.1'])
    agent = RoleProcess.start(
      'agent',
      'edgeAgentRole',
      {
        [RoleEnv.port]: String(agentPort),
        [RoleEnv.tlsCert]: agentCertificate.certFile,
        [RoleEnv.tlsKey]: agentCertificate.keyFile,
        [RoleEnv.egressProxy]: tinyproxy.url,
        NO_PROXY: '127.0.0.1,localhost',
        NODE_EXTRA_CA_CERTS: ca.caFile,
      },
      namespace.launcher,
    )
    senderOrigin = `${host}:${senderPort}`
    await Promise.all([mediator, sender, agent].map((role) => role.ready(STARTUP_MS)))
  }, 120_000)

  afterAll(async () => {
    for (const { runner, admin } of runners) {
      admin.stop()
      await runner.stop().catch(() => undefined)
    }
    await Promise.all([mediator, sender, agent].map((role) => role?.stop().catch(() => undefined)))
    tinyproxy?.stop()
    namespace?.remove()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  describe('with the egress proxy (HTTPS_PROXY with credentials) and the company CA (--upstream-ca-file)', () => {
    let proxy: StartedRunner

    beforeAll(async () => {
      const ns = namespace as NetworkNamespace
      proxy = await startRunner('proxy', {
        env: {
          ...NO_PROXY_ENV,
          HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@${ns.addresses.host}:${new URL((tinyproxy as Tinyproxy).url).port}`,
          // The agent is inside: reached directly, as the convention has it.
          NO_PROXY: '127.0.0.1,localhost',
        },
        args: ['--upstream-ca-file', ca.caFile, '--admin-api-key', ADMIN_KEY],
      })
    }, STARTUP_MS + 10_000)

    it('reaches the external mediator over HTTPS and WSS only through the proxy, and relays 20 of 20 to the agent', async () => {
      // A short invitation URL: the fetch goes through the proxy too.
      const setUp = await postMediatorInvitation(proxy.admin, `${mediatorOrigin}/invitation`, ADMIN_KEY)
      expect(setUp.status).toBe(200)
      await until(
        async () => (await proxy.admin.json<{ status: string }>('GET', '/status')).body.status === 'ready',
        30_000,
        'the proxy to be ready (pickup running)',
        200,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${problemsIn(proxy.runner)}`)
      })

      const invitation = await proxy.admin.json<{ invitation_url: string }>(
        'GET',
        '/retrieve_agent_invitation',
        undefined,
        ADMIN_KEY,
      )
      expect(invitation.body.invitation_url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\?oob=/)
      // The agent connects and asks for mediation over HTTPS, verifying the proxy's certificate.
      await (agent as RoleProcess).request('useProxy', invitation.body.invitation_url)
      await (sender as RoleProcess).request(
        'connect',
        await (agent as RoleProcess).request<string>('mediatedInvitation'),
      )

      const contents = Array.from({ length: MESSAGES }, (_, index) => `through the firewall ${index + 1}`)
      for (const content of contents) await (sender as RoleProcess).request('send', content)
      await until(
        async () => {
          const received = new Set(await (agent as RoleProcess).request<string[]>('received'))
          return contents.every((content) => received.has(content))
        },
        60_000,
        `${MESSAGES} messages at the agent`,
        200,
      )

      const status = await proxy.admin.json<{
        mediators: Array<{ endpoint?: string; pickupMode?: string; socketState: string }>
        counters: { relayed: number }
      }>('GET', '/status', undefined, ADMIN_KEY)
      const [upstream] = status.body.mediators
      // Set-up went over HTTPS (the mediator's first endpoint), pickup over its websocket.
      expect(upstream).toMatchObject({ pickupMode: 'live', socketState: 'open' })
      expect(status.body.counters.relayed).toBeGreaterThanOrEqual(MESSAGES)

      // The tunnels asked for lead to the mediator (the proxy's fetch, HTTPS and websocket) and to the
      // sender (the agent's answers), nowhere else: none to the agent, which the proxy reached directly.
      const mediatorHost = new URL(mediatorOrigin).host
      const connects = (tinyproxy as Tinyproxy).connects()
      const toMediator = connects.filter((target) => target === mediatorHost)
      expect(toMediator.length).toBeGreaterThanOrEqual(2)
      expect(new Set(connects)).toEqual(new Set([mediatorHost, senderOrigin]))
      report('CONNECTs logged by the egress proxy', {
        toMediator: toMediator.length,
        toSender: connects.length - toMediator.length,
      })

      const log = proxy.runner.logLines.join('\n')
      expect(log).toContain(
        `Outbound connections: https/wss through http://***@${(namespace as NetworkNamespace).addresses.host}`,
      )
      expect(log).not.toContain(PROXY_PASSWORD)
    }, 180_000)

    it('serves the page over HTTPS with a Secure cookie, and DIDComm over WSS', async () => {
      const signIn = await proxy.admin.request('POST', '/ui/sign-in', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ admin_api_key: ADMIN_KEY }).toString(),
      })
      expect(signIn.status).toBe(303)
      const cookie = String(signIn.headers['set-cookie'])
      expect(cookie).toMatch(/pm_operator_session=[^;]+;.*Secure/)
      expect(cookie).toContain('HttpOnly')
      const page = await proxy.admin.request('GET', '/', { headers: { cookie: cookie.split(';')[0] } })
      expect(page.status).toBe(200)
      expect(page.body).toMatch(/data-testid="state">ready</)

      // A websocket over TLS from another host: the DIDComm gate answers it (plaintext is refused).
      const socket = new WebSocket(`wss://${(namespace as NetworkNamespace).addresses.inside}:${proxy.port}`, {
        ca: readFileSync(ca.caFile),
      })
      const closed = new Promise<number>((resolve, reject) => {
        socket.once('close', (code) => resolve(code))
        socket.once('error', reject)
      })
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve())
        socket.once('error', reject)
      })
      socket.send(JSON.stringify({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': 'plaintext-ping-1' }))
      expect(await closed).toBe(1008)
    }, 60_000)

    it('keeps the admin routes off every address but loopback: unreachable from another host, 404 on the DIDComm port', async () => {
      const inside = (namespace as NetworkNamespace).addresses.inside
      const unreachable = await httpsAnswer(`https://${inside}:${proxy.adminPort}/status`, ca.caFile).catch(
        (error: NodeJS.ErrnoException) => error.code,
      )
      expect(unreachable).toBe('ECONNREFUSED')
      for (const path of ['/status', '/metrics', '/retrieve_agent_invitation', '/dead-letters', '/']) {
        const answer = await httpsAnswer(`https://${inside}:${proxy.port}${path}`, ca.caFile, {
          'x-api-key': ADMIN_KEY,
        })
        expect({ path, status: answer.status }).toEqual({ path, status: 404 })
        expect(answer.body).toContain('admin listener')
      }
      expect((await httpsAnswer(`https://${inside}:${proxy.port}/ready`, ca.caFile)).status).toBe(200)
    }, 30_000)

    it('takes a rotated certificate on SIGHUP and when the file changes, without a restart', async () => {
      const inside = (namespace as NetworkNamespace).addresses.inside
      const served = () => servedFingerprint(inside, proxy.port, ca.caFile)
      const fingerprintOf = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256
      const before = await served()
      expect(before).toBe(fingerprintOf(proxy.certificate.certFile))

      const rotated = ca.issue('proxy-rotated', ['IP:127.0.0.1', `IP:${inside}`, 'DNS:localhost'])
      copyFileSync(rotated.keyFile, proxy.certificate.keyFile)
      copyFileSync(rotated.certFile, proxy.certificate.certFile)
      proxy.runner.signal('SIGHUP')
      await until(
        () => proxy.runner.logLines.some((line) => line.includes('TLS certificate reloaded (SIGHUP)')),
        10_000,
        'the SIGHUP reload',
        200,
      )
      expect(await served()).toBe(fingerprintOf(rotated.certFile))

      const again = ca.issue('proxy-rotated-again', ['IP:127.0.0.1', `IP:${inside}`, 'DNS:localhost'])
      copyFileSync(again.keyFile, proxy.certificate.keyFile)
      copyFileSync(again.certFile, proxy.certificate.certFile)
      await until(
        async () => (await served()) === fingerprintOf(again.certFile),
        20_000,
        'the new certificate, read when its file changed',
        200,
      )
      expect(proxy.runner.logLines.some((line) => /TLS certificate reloaded \(.*changed\)/.test(line))).toBe(true)
      // The process kept running: the agent still reaches it.
      expect((await proxy.admin.request('GET', '/health')).status).toBe(200)
    }, 60_000)
  })

  it('without the egress proxy setting, set-up fails at once and says why', async () => {
    const { admin } = await startRunner('no-egress-proxy', {
      env: NO_PROXY_ENV,
      args: ['--upstream-ca-file', ca.caFile],
    })
    const short = await postMediatorInvitation(admin, `${mediatorOrigin}/invitation`)
    expect(short.status).toBe(400)
    expect(short.body.detail).toContain(`cannot connect to ${mediatorOrigin} (ECONNREFUSED`)
    expect(short.body.detail).toContain('set HTTPS_PROXY')

    const inline = await postMediatorInvitation(admin, await (mediator as RoleProcess).request<string>('invitation'))
    expect(inline.status).toBe(502)
    expect(inline.body.detail).toMatch(/Could not connect to the external mediator: .*cannot connect to .*ECONNREFUSED/)
    report('without the proxy', inline.body.detail)
  }, 90_000)

  it('with a CA that did not sign the mediator certificate, the error names the certificate problem', async () => {
    const { admin } = await startRunner('wrong-ca', {
      env: NO_PROXY_ENV,
      args: ['--egress-proxy', (tinyproxy as Tinyproxy).url, '--upstream-ca-file', otherCa.caFile],
    })
    const inline = await postMediatorInvitation(admin, await (mediator as RoleProcess).request<string>('invitation'))
    expect(inline.status).toBe(502)
    const mediatorHost = new URL(mediatorOrigin).host
    expect(inline.body.detail).toContain('Could not connect to the external mediator')
    expect(inline.body.detail).toMatch(
      new RegExp(`the TLS certificate of (https|wss)://${mediatorHost.replace(/\./g, '\\.')} does not verify`),
    )
    expect(inline.body.detail).toMatch(
      /UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/,
    )
    expect(inline.body.detail).not.toContain(PROXY_PASSWORD)
    report('with the wrong CA', inline.body.detail)
  }, 90_000)

  it('refuses to start an admin listener on an outside address without a key', async () => {
    const ns = namespace as NetworkNamespace
    const { runner } = await startRunner('admin-outside', {
      env: NO_PROXY_ENV,
      args: ['--admin-host', ns.addresses.inside],
      waitForHealth: false,
    })
    const code = await new Promise<number | null>((resolve) => {
      if (runner.child.exitCode !== null) resolve(runner.child.exitCode)
      else runner.child.once('exit', (exitCode) => resolve(exitCode))
    })
    expect(code).toBe(2)
    expect(runner.stderr.join('\n')).toMatch(
      /admin-api-key: required: the admin routes would listen on 10\.226\.[\d.]+:\d+, outside loopback/,
    )
  }, 30_000)
})

/** What an integration script does first: POST /receive_mediator_invitation; the status and the refusal, if any. */
function postMediatorInvitation(admin: LoopbackBridge, invitationUrl: string, apiKey?: string) {
  return admin.json<{ status?: string; error?: string; detail: string }>(
    'POST',
    '/receive_mediator_invitation',
    { invitation_url: invitationUrl },
    apiKey,
  )
}

/** The runner's warnings and errors, for a failure message. */
function problemsIn(runner: RunnerProcess): string {
  return runner
    .logEntries()
    .filter((entry) => ['warn', 'error', 'fatal'].includes(String(entry.level)))
    .slice(-8)
    .map((entry) => JSON.stringify(entry).slice(0, 600))
    .join('\n')
}

function httpsAnswer(
  url: string,
  caFile: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { ca: readFileSync(caFile), headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.on('error', reject)
    request.end()
  })
}

function servedFingerprint(host: string, port: number, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, ca: readFileSync(caFile) }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256
      socket.end()
      resolve(fingerprint)
    })
    socket.on('error', reject)
  })
}

function report(what: string, value: unknown): void {
  process.stdout.write(`firewall: ${what}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`)
}
