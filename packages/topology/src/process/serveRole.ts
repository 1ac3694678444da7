import type { RoleReady, RoleReply, RoleRequest } from './ipc'

export type RoleCommands = Record<string, (args: unknown) => Promise<unknown>>

/**
 * The child side of a role process: answers the orchestrator's requests with the given
 * commands, and exits when the orchestrator goes away (so no role outlives the demo).
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

  const shutdown = () => {
    stop().finally(() => process.exit(0))
  }
  process.on('disconnect', shutdown)
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', () => undefined) // Ctrl-C reaches the whole group; the orchestrator decides.
  send({ ready: true, ...ready })
}

/** Numbers passed by the orchestrator through the environment. */
export function envNumber(name: string): number {
  const value = Number(process.env[name])
  if (!Number.isInteger(value)) throw new Error(`${name} must be set to a whole number`)
  return value
}
