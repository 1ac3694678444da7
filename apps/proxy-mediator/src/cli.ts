#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8'
import { processIo, runMediatorsCommand } from './admin/mediatorsCommand'
import { ConfigError } from './config/ConfigError'
import { parseCommandLine } from './config/commandLine'
import { egressSecrets } from './config/egressSecrets'
import { resolveConfig } from './config/resolveConfig'
import { unknownEnvVars } from './config/unknownEnvVars'
import { RunnerLogger } from './logging/RunnerLogger'
import { createProxyRunner } from './runner/createProxyRunner'
import { installSignalHandlers } from './runner/installSignalHandlers'
import { logReadyForSetUp } from './runner/logReadyForSetUp'
import { printBanner } from './runner/printBanner'

/**
 * Credo's lines that say nothing to an operator of the proxy, written at debug level instead:
 * warnings about experimental modules the proxy does not use, and the decryption failures of
 * unauthenticated input, which the HTTP layer already counts and logs once per minute.
 */
const CREDO_NOISE = [/^The '\w+' module is experimental/, /^Error while decrypting message/]

/**
 * How far V8 lets the old generation grow past what survived the last major GC before it
 * collects again. Left to V8 (a factor of up to 4 for a heap this small), the runner's heap
 * swung between about 55 and 190 MB under a steady 1,000 msg/s, and RSS with it (150-290 MB);
 * at 30 % it stays within about 55-85 MB, for a few more, short, major GCs. V8 reads the flag
 * at every GC, so it is set here and holds however the runner is started (`yarn start`, the
 * container's `node apps/proxy-mediator/build/cli.js`); an operator's own
 * `--heap-growing-percent` (on the command line or in NODE_OPTIONS) wins.
 */
const HEAP_GROWING_PERCENT = 30

function limitHeapGrowth(): void {
  const operatorFlags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ')
  if (/--heap[-_]growing[-_]percent/.test(operatorFlags)) return
  try {
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  } catch {
    // A Node whose V8 flags are frozen after start-up: the default growth applies.
  }
}

/** Exit status of an invalid configuration, as documented in CONFIG.md. */
const EXIT_INVALID_CONFIG = 2

function exitWithConfigError(error: ConfigError): never {
  process.stderr.write(
    `Invalid configuration:\n${error.issues.map((issue) => `  - ${issue.field}: ${issue.message}`).join('\n')}\nRun with --help for every option.\n`,
  )
  process.exit(EXIT_INVALID_CONFIG)
}

async function main(): Promise<void> {
  limitHeapGrowth()
  let config: ReturnType<typeof resolveConfig>
  try {
    config = resolveConfig({ flags: parseCommandLine(process.argv.slice(2)), env: process.env })
  } catch (error) {
    if (error instanceof ConfigError) exitWithConfigError(error)
    throw error
  }

  const isTty = Boolean(process.stdout.isTTY)
  const logger = new RunnerLogger({
    level: config.logLevel,
    format: config.logFormat === 'auto' ? (isTty ? 'pretty' : 'json') : config.logFormat,
    colors: isTty,
    secrets: [
      ...[config.walletKey, config.adminApiKey].filter((secret): secret is string => Boolean(secret)),
      ...egressSecrets(config.egress.proxyUrl, process.env),
    ],
    quiet: CREDO_NOISE,
  })

  // Bad input must never take the process down; a bug that escapes a handler is logged instead.
  process.on('unhandledRejection', (reason) => logger.error('Unhandled promise rejection', { error: reason }))
  // Node's own warnings would be non-JSON lines on stderr; they go through the logger instead.
  process.removeAllListeners('warning')
  process.on('warning', (warning) => logger.warn(`Node.js warning: ${warning.name}: ${warning.message}`))
  for (const { name, nearest } of unknownEnvVars(process.env)) {
    logger.warn(`Ignored the environment variable ${name}: no option has that name. Did you mean ${nearest}?`)
  }

  let runner: ReturnType<typeof createProxyRunner>
  try {
    runner = createProxyRunner(config, logger)
  } catch (error) {
    if (error instanceof ConfigError) exitWithConfigError(error)
    throw error
  }
  installSignalHandlers({ stop: () => runner.stop(), logger, timeoutMs: config.shutdownTimeoutMs })
  // Certificates rotate: SIGHUP reads them again, as nginx and haproxy do. Without TLS, SIGHUP keeps Node's default.
  if (config.tls) process.on('SIGHUP', () => runner.reloadTls())

  try {
    await runner.start()
  } catch (error) {
    await runner.stop().catch(() => undefined)
    if (error instanceof ConfigError) exitWithConfigError(error)
    logger.fatal(`Could not start: ${(error as Error).message}`, { error })
    process.exit(1)
  }

  const { invitationUrl } = await runner.agent.modules.proxyMediator.getAgentInvitation()
  const { status } = runner.agent.modules.proxyMediator.getStatus()
  logReadyForSetUp(logger, {
    invitationUrl,
    status,
    endpoint: config.endpoint,
    adminKeySet: config.adminApiKey !== undefined,
  })
  printBanner({ config, invitationUrl, status, isTty })
}

const fail = (error: unknown) => {
  process.stderr.write(`proxy-mediator: ${(error as Error)?.message ?? String(error)}\n`)
  process.exit(1)
}

// `proxy-mediator mediators ...` is the admin client of a running proxy, not the proxy itself.
if (process.argv[2] === 'mediators') {
  runMediatorsCommand(process.argv.slice(3), processIo).then((code) => process.exit(code), fail)
} else {
  main().catch(fail)
}
