import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { resolve as resolvePath } from 'node:path'
import { invitationUrlProblem } from '@proxy-mediator/proxy-mediator'
import { ConfigError, type ConfigIssue } from './ConfigError'
import type { RunnerConfig, RunnerModuleOptions } from './RunnerConfig'
import { hostProblem } from './checkHost'
import { storageDirProblem } from './checkStorageDir'
import { loadConfigFile } from './loadConfigFile'
import { parseByteSize } from './parseByteSize'
import { parseHandshakeProtocols } from './parseHandshakeProtocols'
import { resolveAdminListener } from './resolveAdminListener'
import { resolveEgress } from './resolveEgress'
import { resolveTls } from './resolveTls'
import { type RunnerOptionDefinition, envVarName, runnerOptions } from './runnerOptions'

export interface ConfigSources {
  /** Flags from the command line, by option name (see parseCommandLine). */
  flags: Record<string, unknown>
  env: NodeJS.ProcessEnv
}

type Scalar = string | number | boolean

interface RawValue {
  value: unknown
  /** Where the value came from, for error messages: `--port`, `PROXY_MEDIATOR_PORT`, `config file`. */
  source: string
}

/**
 * Merges flags, env and config file (in that order of precedence) over the defaults, checks
 * every value, and returns the runner's configuration. Throws a ConfigError listing every
 * problem at once, so a user fixes them in one go.
 */
export function resolveConfig({ flags, env }: ConfigSources): RunnerConfig {
  const issues: ConfigIssue[] = []
  const envValues = readEnv(env)

  const configPath = (flags.config ?? envValues.config?.value) as string | undefined
  const fileValues: Record<string, unknown> = configPath ? loadConfigFile(configPath) : {}
  for (const key of Object.keys(fileValues)) {
    const option = runnerOptions.find((candidate) => candidate.name === key)
    if (!option || option.notInConfigFile) {
      issues.push({
        field: key,
        message: `unknown option in config file ${configPath}. Known options: ${runnerOptions
          .filter((candidate) => !candidate.notInConfigFile)
          .map((candidate) => candidate.name)
          .join(', ')}.`,
      })
    }
  }

  const values: Record<string, Scalar | undefined> = {}
  for (const option of runnerOptions) {
    const raw = pickRawValue(option, flags, envValues, fileValues, configPath)
    if (raw === undefined || raw.value === null || raw.value === '') {
      values[option.name] = option.default
      continue
    }
    const coerced = coerce(option, raw, issues)
    values[option.name] = coerced
  }

  const str = (name: string) => values[name] as string | undefined
  const num = (name: string) => values[name] as number

  for (const option of runnerOptions) {
    if (option.integer) {
      const { min, max, unit } = option.integer
      checkInteger(option.name, num(option.name), min, max, issues, unit)
    }
  }
  if (num('headers-timeout') > num('request-timeout')) {
    issues.push({
      field: 'headers-timeout',
      message: `must not be longer than request-timeout (${num('request-timeout')} ms), which bounds the headers too; got ${num('headers-timeout')}.`,
    })
  }

  const endpoint = str('endpoint')
  if (endpoint === undefined) {
    issues.push({
      field: 'endpoint',
      message: `required. Set --endpoint, ${envVarName('endpoint')}, or endpoint in the config file to the URL the agent uses to reach this proxy, e.g. http://proxy.internal:${num('port') ?? 3000}`,
    })
  } else {
    checkUrl('endpoint', endpoint, ['http:', 'https:', 'ws:', 'wss:'], issues)
  }

  const host = str('host')
  const badHost = host === undefined ? undefined : hostProblem(host)
  if (badHost) issues.push({ field: 'host', message: badHost })

  const storageDir = resolvePath(expandHome(str('storage-dir') ?? '~/.proxy-mediator'))
  const badStorageDir = storageDirProblem(storageDir)
  if (badStorageDir) issues.push({ field: 'storage-dir', message: badStorageDir })

  const mediatorInvitation = str('mediator-invitation')
  const badInvitation = mediatorInvitation === undefined ? undefined : invitationUrlProblem(mediatorInvitation)
  if (badInvitation) issues.push({ field: 'mediator-invitation', message: badInvitation })

  const handshakes = parseHandshakeProtocols(str('agent-handshake-protocols') ?? '')
  if ('problem' in handshakes) issues.push({ field: 'agent-handshake-protocols', message: `${handshakes.problem}.` })

  const maxBodySizeBytes = parseByteSize(values['max-body-size'] as string)
  if (maxBodySizeBytes === undefined && typeof values['max-body-size'] === 'string') {
    issues.push({
      field: 'max-body-size',
      message: `'${values['max-body-size']}' is not a size. Use a number of bytes or a number with kb, mb or gb, e.g. 5mb.`,
    })
  }

  const walletKey = resolveWalletKey(str('wallet-key'), str('wallet-key-file'), issues)

  const admin = resolveAdminListener(
    {
      host: str('host') ?? '0.0.0.0',
      port: num('port'),
      adminHost: str('admin-host') ?? '127.0.0.1',
      adminPort: num('admin-port'),
      insecureMode: values['admin-insecure-mode'] === true,
      hasApiKey: str('admin-api-key') !== undefined,
    },
    issues,
  )
  const tls = resolveTls(str('tls-cert'), str('tls-key'), issues)
  const egress = resolveEgress(str('egress-proxy'), str('no-proxy'), str('upstream-ca-file'), issues)

  if (issues.length > 0) throw new ConfigError(issues)

  return {
    host: str('host')!,
    port: num('port'),
    endpoint: endpoint!,
    label: str('label')!,
    maxBodySizeBytes: maxBodySizeBytes!,
    maxEnvelopeRecipients: num('max-envelope-recipients'),
    maxProtectedHeaderBytes: num('max-protected-header-size'),
    maxWebsockets: num('max-websockets'),
    maxWebsocketsPerAddress: num('max-websockets-per-address'),
    websocketIdleTimeoutMs: num('websocket-idle-timeout'),
    maxConnections: num('max-connections'),
    maxConnectionsPerAddress: num('max-connections-per-address'),
    headersTimeoutMs: num('headers-timeout'),
    requestTimeoutMs: num('request-timeout'),
    walletBackend: str('wallet-backend') as RunnerConfig['walletBackend'],
    walletId: str('wallet-id')!,
    walletKey: walletKey!,
    walletKeyDerivation: str('wallet-key-derivation') as RunnerConfig['walletKeyDerivation'],
    storageDir,
    mediatorInvitation,
    module: moduleOptionsOf(values, 'protocols' in handshakes ? handshakes.protocols : []),
    adminApiKey: str('admin-api-key'),
    maxAdminKeyFailures: num('max-admin-key-failures'),
    adminKeyFailureWindowMs: num('admin-key-failure-window'),
    admin,
    tls,
    egress,
    logLevel: str('log-level') as RunnerConfig['logLevel'],
    logFormat: str('log-format') as RunnerConfig['logFormat'],
    shutdownTimeoutMs: num('shutdown-timeout'),
  }
}

/**
 * The module's options, from every runner option that names one (`module`): each value as it is,
 * but the handshakes, which the runner reads as short names.
 */
function moduleOptionsOf(values: Record<string, Scalar | undefined>, handshakes: string[]): RunnerModuleOptions {
  const options: Record<string, unknown> = {}
  for (const option of runnerOptions) {
    if (option.module) options[option.module] = values[option.name]
  }
  return { ...options, agentHandshakeProtocols: handshakes } as RunnerModuleOptions
}

function readEnv(env: NodeJS.ProcessEnv): Record<string, RawValue> {
  const values: Record<string, RawValue> = {}
  for (const option of runnerOptions) {
    const name = envVarName(option.name)
    if (env[name] !== undefined) values[option.name] = { value: env[name], source: name }
  }
  return values
}

function pickRawValue(
  option: RunnerOptionDefinition,
  flags: Record<string, unknown>,
  envValues: Record<string, RawValue>,
  fileValues: Record<string, unknown>,
  configPath: string | undefined,
): RawValue | undefined {
  if (flags[option.name] !== undefined) return { value: flags[option.name], source: `--${option.name}` }
  if (envValues[option.name] !== undefined) return envValues[option.name]
  if (!option.notInConfigFile && fileValues[option.name] !== undefined) {
    return { value: fileValues[option.name], source: `config file ${configPath}` }
  }
  return undefined
}

function coerce(option: RunnerOptionDefinition, raw: RawValue, issues: ConfigIssue[]): Scalar | undefined {
  const { value, source } = raw
  const shown = option.secret ? '(hidden)' : `'${String(value)}'`
  let result: Scalar | undefined

  if (option.type === 'number') {
    const number =
      typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN
    if (Number.isFinite(number)) result = number
    else issues.push({ field: option.name, message: `must be a number, got ${shown} (from ${source}).` })
  } else if (option.type === 'boolean') {
    if (typeof value === 'boolean') result = value
    else if (typeof value === 'string' && /^(true|1|yes|on)$/i.test(value)) result = true
    else if (typeof value === 'string' && /^(false|0|no|off)$/i.test(value)) result = false
    else issues.push({ field: option.name, message: `must be true or false, got ${shown} (from ${source}).` })
  } else if (typeof value === 'string' || typeof value === 'number') {
    // YAML reads `wallet-key: 123456` as a number; the user meant the characters.
    result = String(value)
  } else {
    issues.push({ field: option.name, message: `must be a string, got ${typeof value} (from ${source}).` })
  }

  if (typeof result === 'string' && option.choices && !option.choices.includes(result)) {
    issues.push({
      field: option.name,
      message: `must be one of ${option.choices.join(', ')}; got ${shown} (from ${source}).`,
    })
    return undefined
  }
  return result
}

function checkInteger(
  field: string,
  value: number | undefined,
  min: number,
  max: number,
  issues: ConfigIssue[],
  unit?: string,
): void {
  if (value === undefined || Number.isNaN(value)) return // already reported by coerce
  if (!Number.isInteger(value) || value < min || value > max) {
    issues.push({
      field,
      message: `must be a whole number${unit ? ` of ${unit}` : ''} between ${min} and ${max}, got ${value}.`,
    })
  }
}

function checkUrl(field: string, value: string, protocols: string[] | undefined, issues: ConfigIssue[]): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    issues.push({ field, message: `'${value}' is not a URL. Give an absolute URL such as http://host:3000.` })
    return
  }
  if (protocols && !protocols.includes(url.protocol)) {
    issues.push({
      field,
      message: `'${value}' must use ${protocols.map((protocol) => protocol.replace(':', '')).join(', ')}.`,
    })
  }
}

function resolveWalletKey(
  key: string | undefined,
  keyFile: string | undefined,
  issues: ConfigIssue[],
): string | undefined {
  if (key !== undefined) return key
  if (keyFile !== undefined) {
    try {
      const fromFile = readFileSync(keyFile, 'utf8').trim()
      if (fromFile === '')
        issues.push({ field: 'wallet-key-file', message: `${keyFile} is empty. Put the wallet key in it.` })
      return fromFile
    } catch (error) {
      issues.push({
        field: 'wallet-key-file',
        message: `cannot read ${keyFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      })
      return undefined
    }
  }
  issues.push({
    field: 'wallet-key',
    message: `required. Set --wallet-key, ${envVarName('wallet-key')}, or wallet-key-file (--wallet-key-file, ${envVarName('wallet-key-file')}).`,
  })
  return undefined
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path
}
