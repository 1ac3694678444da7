/**
 * The container, built and run for real with podman: the image from docker/Dockerfile, its size
 * above the base, its HEALTHCHECK, a read-only root, a wrong wallet key on an existing volume, a
 * relay of 20 messages to an agent with no Credo code (the ACA-Py-like peer) through a real Credo
 * external mediator, a `podman kill` mid-stream and a new container on the same volume, and a
 * graceful stop. Run by `yarn test:container` (docker/test/run.sh), which prepares podman.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AcapyLikeAgent, ForwardingSender } from '@proxy-mediator/acapy-like-peer'
import {
  type ExternalMediator,
  freePort,
  startExternalMediator,
  tolerateLiveDeliveryWriteErrors,
} from '@proxy-mediator/topology'

const IMAGE = 'localhost/proxy-mediator:test'
const BASE = 'docker.io/library/node:20-bookworm-slim'
const MAX_MB_ABOVE_BASE = 120
const WALLET_KEY = 'container-test-wallet-key'
const PODMAN = ['--runtime', 'runc']
const ULIMITS = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096']

const results: Array<{ name: string; ok: boolean; detail: string }> = []
const log = (line: string) => process.stdout.write(`[container] ${line}\n`)

function podman(args: string[], options: { allowFailure?: boolean; inherit?: boolean } = {}): string {
  const result = spawnSync('podman', [...PODMAN, ...args], {
    encoding: 'utf8',
    stdio: options.inherit ? 'inherit' : 'pipe',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(`podman ${args.join(' ')} failed (${result.status}): ${result.stderr}`)
  }
  return `${result.stdout ?? ''}${result.stderr ?? ''}`
}

async function check(name: string, body: () => Promise<string>) {
  try {
    const detail = await body()
    results.push({ name, ok: true, detail })
    log(`ok: ${name}${detail ? ` (${detail})` : ''}`)
  } catch (error) {
    results.push({ name, ok: false, detail: (error as Error).message })
    log(`FAILED: ${name}: ${(error as Error).message}`)
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

function runProxy(name: string, volume: string, port: number, adminPort: number, extra: string[] = []): void {
  podman([
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    '--read-only',
    ...ULIMITS,
    '-v',
    `${volume}:/data`,
    '-e',
    `PROXY_MEDIATOR_PORT=${port}`,
    '-e',
    `PROXY_MEDIATOR_ENDPOINT=http://127.0.0.1:${port}`,
    '-e',
    'PROXY_MEDIATOR_HOST=127.0.0.1',
    // On the host's network, the image's admin listener on every interface would need a key: loopback here.
    '-e',
    'PROXY_MEDIATOR_ADMIN_HOST=127.0.0.1',
    '-e',
    `PROXY_MEDIATOR_ADMIN_PORT=${adminPort}`,
    '-e',
    'PROXY_MEDIATOR_KEEPALIVE_INTERVAL=1000',
    '-e',
    `PROXY_MEDIATOR_WALLET_KEY=${WALLET_KEY}`,
    ...extra,
    IMAGE,
  ])
}

/** The fixed names this harness gives its containers. */
const PROXY_CONTAINERS = ['pm-test-1', 'pm-test-2']

/**
 * A run that crashed (its `finally` never ran) leaves its containers behind, and the next run on
 * the same machine would fail on the name clash: those of this harness go first.
 */
function removeLeftovers(): void {
  for (const name of PROXY_CONTAINERS) podman(['rm', '-f', '--ignore', name], { allowFailure: true })
}

function hashDir(dir: string): string {
  const hash = createHash('sha256')
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)))
  return hash.digest('hex')
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'container-test-'))
  const containers: string[] = []
  let mediator: ExternalMediator | undefined
  const agents: AcapyLikeAgent[] = []
  try {
    removeLeftovers()
    log('building the image (docker format, so that the HEALTHCHECK is kept)')
    const started = Date.now()
    podman(
      ['build', '--network', 'host', '--format', 'docker', ...ULIMITS, '-f', 'docker/Dockerfile', '-t', IMAGE, '.'],
      { inherit: true },
    )
    log(`built in ${Math.round((Date.now() - started) / 1000)} s`)

    await check(`image is at most ${MAX_MB_ABOVE_BASE} MB above the base`, async () => {
      const size = (image: string) => Number(podman(['image', 'inspect', '--format', '{{.Size}}', image]).trim())
      const above = (size(IMAGE) - size(BASE)) / 1e6
      log(
        `image size: ${(size(IMAGE) / 1e6).toFixed(1)} MB, base ${(size(BASE) / 1e6).toFixed(1)} MB, ${above.toFixed(1)} MB above the base`,
      )
      if (above > MAX_MB_ABOVE_BASE) throw new Error(`${above.toFixed(1)} MB above the base`)
      return `${above.toFixed(1)} MB above the base`
    })

    await check('keeps its HEALTHCHECK (on /ready), runs as a non-root user, and carries OCI labels', async () => {
      const image = JSON.parse(podman(['image', 'inspect', IMAGE]))[0]
      const config = image.Config
      // podman shows the docker-format HEALTHCHECK beside the config; docker inside it.
      const healthcheck = JSON.stringify(image.Healthcheck ?? config.Healthcheck ?? {})
      if (!healthcheck.includes('/ready')) throw new Error(`no /ready healthcheck: ${healthcheck}`)
      if (config.User !== 'node') throw new Error(`user is ${config.User}`)
      if (!config.Labels?.['org.opencontainers.image.title']) throw new Error('no OCI labels')
      return `user ${config.User}`
    })

    const volume = join(dir, 'data')
    execFileSync('mkdir', ['-p', volume])
    // The image's user (uid 1000) must own the volume it writes to.
    execFileSync('chown', ['1000:1000', volume])
    // The kill check resets the proxy's socket under a live delivery: Credo's known throw, not a failure.
    tolerateLiveDeliveryWriteErrors()
    mediator = await startExternalMediator({ port: await freePort(), storagePath: join(dir, 'mediator') })
    const port = await freePort()
    const adminPort = await freePort()
    const baseUrl = `http://127.0.0.1:${port}`
    const adminUrl = `http://127.0.0.1:${adminPort}`

    await check('relays 20 of 20 messages to an ACA-Py-like agent, with a read-only root file system', async () => {
      runProxy(PROXY_CONTAINERS[0], volume, port, adminPort)
      containers.push(PROXY_CONTAINERS[0])
      await waitFor(
        async () => ((await fetch(`${baseUrl}/health`)).ok ? true : undefined),
        'the container to serve /health',
      )
      const setUp = await fetch(`${adminUrl}/receive_mediator_invitation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invitation_url: await mediator?.createInvitationUrl() }),
      })
      if (!setUp.ok) throw new Error(`receive_mediator_invitation: ${setUp.status} ${await setUp.text()}`)
      const { invitation_url } = (await (await fetch(`${adminUrl}/retrieve_agent_invitation`)).json()) as {
        invitation_url: string
      }
      const agent = await AcapyLikeAgent.start({})
      agents.push(agent)
      await agent.connect(invitation_url, { protocol: 'didexchange/1.0', did: 'unqualified' })
      const grant = await agent.requestMediation()
      await agent.registerKey()
      const sender = await ForwardingSender.create()
      const contents = Array.from({ length: 20 }, (_, index) => `container-${index}`)
      await sender.send({ recipientKey: agent.routedKey.verkey, ...grant }, contents)
      await waitFor(async () => (new Set(agent.basicMessages()).size >= 20 ? true : undefined), '20 deliveries', 60_000)
      // podman schedules health checks with systemd timers, which a sandbox may lack: run it once.
      const health = await waitFor(
        async () => {
          const result = spawnSync('podman', [...PODMAN, 'healthcheck', 'run', PROXY_CONTAINERS[0]], {
            encoding: 'utf8',
          })
          return result.status === 0 ? 'healthy' : undefined
        },
        'the HEALTHCHECK to pass',
        60_000,
      )
      return `20/20 delivered, HEALTHCHECK ${health}`
    })

    await check('delivers every message across a podman kill and a new container on the same volume', async () => {
      const agent = agents[0]
      if (!agent?.grant) throw new Error('no agent from the previous check')
      const sender = await ForwardingSender.create()
      const contents = Array.from({ length: 100 }, (_, index) => `kill-${index}`)
      const delivered = () => agent.basicMessages().filter((content) => content.startsWith('kill-'))
      const sending = (async () => {
        for (const content of contents) {
          await sender.send(
            { recipientKey: agent.routedKey.verkey, ...(agent.grant as { endpoint: string; routingKeys: string[] }) },
            [content],
          )
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      await waitFor(async () => (delivered().length >= 20 ? true : undefined), '20 deliveries before the kill')
      podman(['kill', PROXY_CONTAINERS[0]])
      podman(['rm', '-f', PROXY_CONTAINERS[0]], { allowFailure: true })
      runProxy(PROXY_CONTAINERS[1], volume, port, adminPort)
      containers.push(PROXY_CONTAINERS[1])
      await sending
      await waitFor(
        async () => (new Set(delivered()).size >= contents.length ? true : undefined),
        'all 100 after the restart',
        120_000,
      )
      const unique = new Set(delivered()).size
      return `${unique}/100 delivered, ${delivered().length - unique} duplicates`
    })

    await check('stops on SIGTERM with exit status 0', async () => {
      podman(['stop', '-t', '30', PROXY_CONTAINERS[1]])
      const code = podman(['inspect', '--format', '{{.State.ExitCode}}', PROXY_CONTAINERS[1]]).trim()
      if (code !== '0') throw new Error(`exit status ${code}`)
      return 'exit 0'
    })

    await check('runs the demo across containers, one per role, under podman-compose', async () => {
      podman(['tag', IMAGE, 'localhost/proxy-mediator:local'])
      podman([
        ...['build', '--network', 'host', '--format', 'docker', ...ULIMITS, '--target', 'demo'],
        ...['-f', 'docker/Dockerfile', '-t', 'localhost/proxy-mediator:demo', '.'],
      ])
      const compose = (args: string[], allowFailure = false) => {
        const result = spawnSync('podman-compose', ['-f', 'docker/docker-compose.demo.yml', '-p', 'pmdemo', ...args], {
          encoding: 'utf8',
          env: { ...process.env, CONTAINERS_CONF: join(__dirname, 'containers.conf') },
          maxBuffer: 64 * 1024 * 1024,
        })
        const output = `${result.stdout}${result.stderr}`
        if (result.status !== 0 && !allowFailure)
          throw new Error(`podman-compose ${args.join(' ')}: ${output.slice(-2000)}`)
        return output
      }
      try {
        // What a crashed run of this harness left of the project goes first (see removeLeftovers).
        compose(['down', '-v'], true)
        compose(['up', '-d', 'mediator', 'agent', 'sender', 'proxy'])
        const output = compose(['run', '--rm', 'setup'], true)
        const delivered = /delivered (\d+)\/(\d+) messages/.exec(output)
        if (!delivered || delivered[1] !== delivered[2]) throw new Error(`no full delivery: ${output.slice(-1500)}`)
        return delivered[0]
      } finally {
        compose(['down', '-v'], true)
      }
    })

    await check(
      'refuses a wrong wallet key on the existing volume, clearly, and leaves the data as it was',
      async () => {
        const before = hashDir(volume)
        const output = podman(
          [
            'run',
            '--rm',
            '--network',
            'host',
            '--read-only',
            ...ULIMITS,
            '-v',
            `${volume}:/data`,
            '-e',
            `PROXY_MEDIATOR_PORT=${await freePort()}`,
            '-e',
            'PROXY_MEDIATOR_ADMIN_HOST=127.0.0.1',
            '-e',
            `PROXY_MEDIATOR_ADMIN_PORT=${await freePort()}`,
            '-e',
            'PROXY_MEDIATOR_ENDPOINT=http://127.0.0.1:1',
            '-e',
            'PROXY_MEDIATOR_WALLET_KEY=a-wrong-key',
            IMAGE,
          ],
          { allowFailure: true },
        )
        if (!/wallet-key: does not open the wallet/.test(output))
          throw new Error(`unexpected output: ${output.slice(0, 400)}`)
        if (hashDir(volume) !== before) throw new Error('the volume changed')
        return 'exit 2, data untouched'
      },
    )
  } finally {
    for (const name of containers) podman(['rm', '-f', name], { allowFailure: true })
    for (const agent of agents) await agent.stop()
    await mediator?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  const failed = results.filter((result) => !result.ok).length
  process.stdout.write(`\ncontainer: ${results.length - failed} passed, ${failed} failed\n`)
  process.exit(failed === 0 ? 0 : 1)
}

main().catch((error) => {
  process.stderr.write(`container test failed: ${(error as Error).stack ?? error}\n`)
  process.exit(1)
})
