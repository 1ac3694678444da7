import type { ConfigIssue } from './ConfigError'
import type { RunnerConfig } from './RunnerConfig'
import { hostProblem } from './checkHost'
import { isLoopbackHost } from './isLoopbackHost'

export interface AdminListenerInput {
  host: string
  port: number
  adminHost: string
  adminPort: number
  insecureMode: boolean
  hasApiKey: boolean
}

/**
 * Where the admin routes listen, and whether that may start. On the DIDComm port (the same
 * `admin-port` as `port`) they share its listener and its host. Reachable from outside loopback
 * with no admin key, the runner refuses to start unless told `admin-insecure-mode`, as ACA-Py
 * refuses an admin API without a key: anyone who reaches it could set the proxy up and take the
 * agent invitation.
 */
export function resolveAdminListener(input: AdminListenerInput, issues: ConfigIssue[]): RunnerConfig['admin'] {
  const sharedWithDidcomm = input.adminPort === input.port
  const host = sharedWithDidcomm ? input.host : input.adminHost
  const badHost = sharedWithDidcomm ? undefined : hostProblem(input.adminHost)
  if (badHost) issues.push({ field: 'admin-host', message: badHost })
  else if (!isLoopbackHost(host) && !input.hasApiKey && !input.insecureMode) {
    const where = sharedWithDidcomm
      ? `on the DIDComm port (--admin-port ${input.adminPort} is --port), on ${host}`
      : `on ${host}:${input.adminPort}`
    issues.push({
      field: 'admin-api-key',
      message: `required: the admin routes would listen ${where}, outside loopback, where anyone who reaches it could set the proxy up and take the agent invitation. Set --admin-api-key, bind them to loopback (--admin-host 127.0.0.1${sharedWithDidcomm ? ' with an --admin-port of their own' : ''}), or accept the risk with --admin-insecure-mode.`,
    })
  }
  return { host, port: input.adminPort, sharedWithDidcomm, insecureMode: input.insecureMode }
}
