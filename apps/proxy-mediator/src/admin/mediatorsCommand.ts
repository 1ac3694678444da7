import yargs from 'yargs'

/** One call of the admin routes: what the CLI sends. */
export interface AdminRequest {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  body?: unknown
}

export interface MediatorsCommandIo {
  /** Answers a request to the proxy (fetch in the CLI, a stand-in in tests). */
  send(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<{
    status: number
    text: string
  }>
  out(text: string): void
  err(text: string): void
  env: NodeJS.ProcessEnv
}

/** 0: done; 1: the proxy refused or could not be reached; 2: the command line is wrong. */
export type MediatorsCommandExit = 0 | 1 | 2

const USAGE = [
  '$0 <command> --url http://host:admin-port [--admin-api-key KEY]',
  '',
  'Manages the external mediators of a running proxy through its admin routes (/mediators) and prints the answer as JSON. The key can also come from PROXY_MEDIATOR_ADMIN_API_KEY, the URL from PROXY_MEDIATOR_ADMIN_URL.',
].join('\n')

/**
 * `proxy-mediator mediators <list|add URL [--primary|--no-primary]|promote ID|drain ID|remove ID
 * [--force]|announce-route>`: a thin client of the routes, in its own parser so that the runner's
 * own options stay strict.
 */
export async function runMediatorsCommand(argv: string[], io: MediatorsCommandIo): Promise<MediatorsCommandExit> {
  let request: AdminRequest | undefined
  let target: { url: string; key?: string } | undefined
  let usageError: string | undefined
  let helpShown = false

  const parser = yargs(argv)
    .scriptName('proxy-mediator mediators')
    .wrap(Math.min(120, process.stdout.columns ?? 120))
    .usage(USAGE)
    .parserConfiguration({ 'camel-case-expansion': false })
    .strict()
    .help('help')
    .alias('help', 'h')
    .version(false)
    .option('url', {
      type: 'string',
      describe: "Base URL of the proxy's admin listener, e.g. http://127.0.0.1:3001 [env: PROXY_MEDIATOR_ADMIN_URL]",
      requiresArg: true,
    })
    .option('admin-api-key', {
      type: 'string',
      describe: 'The proxy\u2019s --admin-api-key, sent as x-api-key [env: PROXY_MEDIATOR_ADMIN_API_KEY]',
      requiresArg: true,
    })
    .command('list', 'List the mediators: role, state, counts, last error', {}, () => {
      request = { method: 'GET', path: '/mediators' }
    })
    .command(
      'add <invitation-url>',
      'Add a mediator (primary: the current primary drains; --no-primary: standby)',
      (command) =>
        command
          .positional('invitation-url', { type: 'string', describe: 'The mediator\u2019s invitation URL' })
          .option('primary', { type: 'boolean', default: true, describe: 'Make it the primary' }),
      (args) => {
        request = {
          method: 'POST',
          path: '/mediators',
          body: { invitation_url: args['invitation-url'], primary: args.primary },
        }
      },
    )
    .command('promote <id>', 'Make a mediator the primary (the previous one drains)', idArgument, (args) => {
      request = { method: 'POST', path: `/mediators/${encodeURIComponent(String(args.id))}/promote` }
    })
    .command('drain <id>', 'Name a standby mediator in no new grant; pickup goes on', idArgument, (args) => {
      request = { method: 'POST', path: `/mediators/${encodeURIComponent(String(args.id))}/drain` }
    })
    .command(
      'remove <id>',
      'Forget a mediator (refused while it holds messages, unless --force)',
      (command) =>
        idArgument(command).option('force', {
          type: 'boolean',
          default: false,
          describe: 'Remove it even though it holds messages: they are abandoned (and logged)',
        }),
      (args) => {
        const query = args.force ? '?force=true' : ''
        request = { method: 'DELETE', path: `/mediators/${encodeURIComponent(String(args.id))}${query}` }
      },
    )
    .command('announce-route', 'Send every agent a fresh grant with the current route', {}, () => {
      request = { method: 'POST', path: '/mediators/announce-route' }
    })
    .demandCommand(1, 'Name a command: list, add, promote, drain, remove or announce-route.')
    .fail((message, error) => {
      usageError = error?.message ?? message
    })
    .exitProcess(false)
    .showHelpOnFail(false)

  const args = (await parser.parseAsync(argv, {}, (_error, _argv, output) => {
    if (output) {
      helpShown = true
      io.out(`${output}\n`)
    }
  })) as Record<string, unknown>
  if (helpShown && !usageError) return 0
  if (!usageError) {
    const url = (args.url as string | undefined) ?? io.env.PROXY_MEDIATOR_ADMIN_URL
    if (!url)
      usageError =
        '--url: required, the admin listener, e.g. --url http://127.0.0.1:3001 (or PROXY_MEDIATOR_ADMIN_URL).'
    else {
      try {
        new URL(url)
        target = {
          url: url.replace(/\/+$/, ''),
          key: (args['admin-api-key'] as string) ?? io.env.PROXY_MEDIATOR_ADMIN_API_KEY,
        }
      } catch {
        usageError = `--url: '${url}' is not a URL; give the base URL of the proxy's admin listener, e.g. http://127.0.0.1:3001.`
      }
    }
  }
  if (usageError || !request || !target) {
    io.err(`proxy-mediator mediators: ${usageError ?? 'nothing to do'}\nRun with --help for the commands.\n`)
    return 2
  }

  const headers: Record<string, string> = { accept: 'application/json' }
  if (target.key) headers['x-api-key'] = target.key
  if (request.body !== undefined) headers['content-type'] = 'application/json'
  let answer: { status: number; text: string }
  try {
    answer = await io.send(`${target.url}${request.path}`, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    })
  } catch (error) {
    io.err(`proxy-mediator mediators: could not reach ${target.url}: ${(error as Error).message}\n`)
    return 1
  }
  const printed = prettyJson(answer.text)
  if (answer.status >= 200 && answer.status < 300) {
    io.out(`${printed}\n`)
    return 0
  }
  io.err(`proxy-mediator mediators: ${request.method} ${request.path} answered ${answer.status}\n${printed}\n`)
  return 1
}

function idArgument<T>(command: import('yargs').Argv<T>) {
  return command.positional('id', { type: 'string', describe: 'The mediator\u2019s id, from `mediators list`' })
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

/** The CLI's I/O: fetch, stdout, stderr, the process environment. */
export const processIo: MediatorsCommandIo = {
  send: async (url, init) => {
    const response = await fetch(url, init)
    return { status: response.status, text: await response.text() }
  },
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
}
