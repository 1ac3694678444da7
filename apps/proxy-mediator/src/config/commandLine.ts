import yargs, { type Argv, type Options } from 'yargs'
import { ConfigError } from './ConfigError'
import { envVarName, runnerOptions } from './runnerOptions'

/** The runner's version, from its package.json (two levels up from build/config and src/config). */
export function runnerVersion(): string {
  return (require('../../package.json') as { version: string }).version
}

/**
 * The yargs parser of the runner. It declares no defaults and reads no env vars on purpose:
 * resolveConfig merges flags, env, file and defaults itself so that it knows where each
 * value came from. Defaults are shown in --help through `defaultDescription`.
 */
export function buildCommandLineParser(argv: string[]): Argv {
  let parser = yargs(argv)
    .scriptName('proxy-mediator')
    .usage(
      [
        '$0 [options]',
        '',
        'Runs the proxy mediator: it picks messages up from an external mediator and relays them to',
        'an agent that only has an HTTP endpoint. Every option can also be set with the environment',
        'variable shown below, or in the file given by --config. Flags beat env, env beats the file.',
        '',
        '$0 mediators <list|add URL [--no-primary]|promote ID|drain ID|remove ID [--force]|announce-route>',
        '    --url http://host:port [--admin-api-key KEY]',
        '',
        'Manages the external mediators of a running proxy (see `$0 mediators --help`).',
      ].join('\n'),
    )
    .parserConfiguration({ 'camel-case-expansion': false, 'strip-aliased': true })
    .strict()
    .version('version', 'Show the version and exit', runnerVersion())
    .alias('version', 'V')
    .help('help')
    .alias('help', 'h')
    .wrap(Math.min(120, process.stdout.columns ?? 120))
    .fail((message, error) => {
      throw new ConfigError([{ field: 'command line', message: error?.message ?? message }])
    })
    .epilogue('Routes and examples: see apps/proxy-mediator/CONFIG.md')

  for (const option of runnerOptions) {
    const definition: Options = {
      // Numbers are read as text and checked by resolveConfig, so that `--port abc` is shown as typed.
      type: option.type === 'number' ? 'string' : option.type,
      group: `${option.group}:`,
      describe: `${option.description} [env: ${envVarName(option.name)}]`,
      // `requiresArg` makes `--port` without a value an error instead of an empty string.
      requiresArg: option.type !== 'boolean',
    }
    if (option.choices) definition.choices = [...option.choices]
    const shownDefault = option.secret ? option.defaultDescription : (option.defaultDescription ?? option.default)
    if (shownDefault !== undefined) definition.defaultDescription = String(shownDefault)
    parser = parser.option(option.name, definition)
  }
  return parser
}

/** The flags given on the command line, by option name; absent flags are absent keys. */
export function parseCommandLine(argv: string[]): Record<string, unknown> {
  const parsed = buildCommandLineParser(argv).parseSync() as Record<string, unknown>
  const flags: Record<string, unknown> = {}
  for (const option of runnerOptions) {
    const value = parsed[option.name]
    if (value !== undefined) flags[option.name] = Array.isArray(value) ? value[value.length - 1] : value
  }
  return flags
}
