import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { RoleEnv, type RoleReady, type RoleReply, type RoleRequest } from './ipc'

export type RoleCommands = Record<string, (args: unknown) => Promise<unknown>>

/**
 * The child side of a role process: answers the orchestrator's requests with the given
 * commands, and exits when the orchestrator goes away (so no role outlives it).
 */
export function serveRole(commands: RoleCommands, ready: Omit<RoleReady, 'ready'>, stop: () => Promise<void>): void {
  const send = (message: RoleReply | RoleReady) => process.send?.(message)

  process.on('message', (request: RoleRequest) => {
    const command = commands[request.command]
    if (!command) {
      send({ id: request.id, ok: false, error: `unknown command ${request.command}` })
      return
    }
    command(request.args).then(
      (result) => send({ id: request.id, ok: true, result }),
      (error) => send({ id: request.id, ok: false, error: (error as Error)?.message ?? String(error) }),
    )
  })

  const controlPort = process.env[RoleEnv.controlPort]
  if (controlPort) serveControlApi(commands, Number(controlPort))

  const shutdown = () => {
    stop().finally(() => process.exit(0))
  }
  process.on('disconnect', shutdown)
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', () => undefined) // Ctrl-C reaches the whole group; the orchestrator decides.
  send({ ready: true, ...ready })
}

/**
 * The same commands over HTTP, for an orchestrator in another container (fork IPC works only
 * between a parent and its child): `POST /<command>` with the JSON argument, answered with the
 * RoleReply body; `GET /ready` once the role is up.
 */
function serveControlApi(commands: RoleCommands, port: number): void {
  createServer((request, response) => {
    const command = commands[(request.url ?? '/').slice(1)]
    if (request.method === 'GET' && request.url === '/ready') return void response.end('{"ready":true}')
    if (request.method !== 'POST' || !command) return void response.writeHead(404).end('{"ok":false}')
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      const answer = (reply: { ok: true; result: unknown } | { ok: false; error: string }) =>
        response.writeHead(reply.ok ? 200 : 500, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
      Promise.resolve()
        .then(() => command(body ? JSON.parse(body) : undefined))
        .then(
          (result) => answer({ ok: true, result }),
          (error) => answer({ ok: false, error: (error as Error)?.message ?? String(error) }),
        )
    })
  }).listen(port)
}

/** Runs a role's main and exits with status 1, its error on stderr, when it fails to start. */
export function runRole(name: string, main: () => Promise<void>): void {
  main().catch((error) => {
    process.stderr.write(`${name}: ${error?.stack ?? error}\n`)
    process.exit(1)
  })
}

/** Numbers passed by the orchestrator through the environment. */
export function envNumber(name: string): number {
  const value = Number(process.env[name])
  if (!Number.isInteger(value)) throw new Error(`${name} must be set to a whole number`)
  return value
}

/** The port every role listens on, from {@link RoleEnv.port}. */
export const rolePort = () => envNumber(RoleEnv.port)

/** The base URL the role advertises, from {@link RoleEnv.endpoint}; undefined for loopback. */
export const roleEndpoint = () => process.env[RoleEnv.endpoint] || undefined

/** The role's wallet directory, from {@link RoleEnv.storage}; undefined for an in-memory wallet. */
export const roleStorage = () => process.env[RoleEnv.storage] || undefined

/** The role's TLS certificate and key, from {@link RoleEnv.tlsCert} and {@link RoleEnv.tlsKey}; undefined for plain HTTP. */
export function roleTls(): { cert: Buffer; key: Buffer } | undefined {
  const certFile = process.env[RoleEnv.tlsCert]
  const keyFile = process.env[RoleEnv.tlsKey]
  if (!certFile || !keyFile) return undefined
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) }
}
