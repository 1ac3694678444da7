/**
 * `yarn test:packages` (in CI after `yarn test`): the two published packages as an outside app gets
 * them. It packs them, checks the tarballs and `npm publish --dry-run`, then makes scratch apps
 * that have only `@credo-ts/core` and `@credo-ts/node` at one Credo release and installs the
 * tarballs into them from the npm cache:
 * - at each release of `--credo`, both packages: one copy of Credo (and of the decorator libraries
 *   its messages need), the README's module sample type-checked under both module resolutions, and
 *   run as the proxy of a real relay that must deliver every message;
 * - at each release of `--wallet-only`, below the module's range, the portable wallet alone: one
 *   copy of Credo, and its README's sample type-checked and run.
 *
 *   yarn test:packages [--credo 0.5.15,0.5.19] [--wallet-only 0.5.11] [--messages 20] [--keep]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { installedCopies } from './installedCopies'
import { type Tarballs, packPackages } from './packPackages'
import { publishDryRun } from './publishDryRun'
import { readmeSample } from './readmeSamples'
import { relayThroughApp } from './relayThroughApp'
import { typecheckSample } from './sampleInApp'
import { type ScratchApp, createScratchApp } from './scratchApp'
import { runWalletSample } from './walletInApp'

// The ends of each package's peer range on @credo-ts/core (the README's version policy): the module
// needs 0.5.15 (DID exchange responses signed with the invitation key, which ACA-Py requires), the
// wallet 0.5.11 (KeyBackend).
const MODULE_RELEASES = '0.5.15,0.5.19'
const WALLET_ONLY_RELEASES = '0.5.11'
// The packages that must be the app's own single copy (the packages' peer dependencies, and the
// decorator library Credo's messages share with them).
const SINGLE_COPY = ['@credo-ts/core', 'class-transformer', 'class-validator']

const { values: options } = parseArgs({
  options: {
    credo: { type: 'string', default: MODULE_RELEASES },
    'wallet-only': { type: 'string', default: WALLET_ONLY_RELEASES },
    messages: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
  },
})
const releases = (list: string) =>
  list
    .split(',')
    .map((release) => release.trim())
    .filter(Boolean)
const messages = Number(options.messages)
if (!Number.isInteger(messages) || messages < 1) throw new Error('--messages must be a whole number above 0')

const failures: string[] = []
const log = (line: string) => process.stdout.write(`[packages] ${line}\n`)
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`

/** Runs one check, logs it with its duration, and records a failure instead of stopping the run. */
async function check<T>(
  name: string,
  body: () => T | Promise<T>,
  describe: (value: T) => string,
): Promise<T | undefined> {
  const started = Date.now()
  try {
    const value = await body()
    log(`ok: ${name}: ${describe(value)} (${seconds(started)})`)
    return value
  } catch (error) {
    failures.push(name)
    log(`FAILED: ${name}: ${(error as Error).message}`)
    return undefined
  }
}

/** One copy of each package that must be the app's own, and Credo at the app's release. */
function singleCopies(app: ScratchApp): string {
  const found = SINGLE_COPY.map((name) => ({ name, copies: installedCopies(app.dir, name) }))
  const wrong = found.filter(({ copies }) => copies.length !== 1)
  if (wrong.length) throw new Error(wrong.map(({ name, copies }) => `${name}: ${copies.join(', ')}`).join('; '))
  const [core] = found[0].copies
  if (!core.startsWith(`${app.credoVersion} `)) throw new Error(`@credo-ts/core is ${core}, not ${app.credoVersion}`)
  return found.map(({ name, copies }) => `${name} ${copies[0].split(' ')[0]}`).join(', ')
}

async function scratchApp(workDir: string, name: string, credoVersion: string, tarballs: string[]) {
  const label = `Credo ${credoVersion}${name.endsWith('wallet') ? ', wallet only' : ''}`
  const app = await check(
    `${label}: a scratch app with @credo-ts/core and @credo-ts/node ${credoVersion}, then ${tarballs.length} tarball(s)`,
    () => createScratchApp(workDir, { name, credoVersion, tarballs }),
    (created) => created.dir,
  )
  if (app)
    await check(
      `${label}: one copy each of ${SINGLE_COPY.join(', ')}`,
      () => singleCopies(app),
      (found) => found,
    )
  return { app, label }
}

async function checkModuleApp(workDir: string, release: string, tarballs: Tarballs): Promise<void> {
  const { app, label } = await scratchApp(workDir, `credo-${release}`, release, [
    tarballs.proxyMediator,
    tarballs.portableWallet,
  ])
  if (!app) return
  await check(
    `${label}: the README's module sample type-checks in the app`,
    () => typecheckSample(app, readmeSample('module')),
    (resolutions) => `moduleResolution ${resolutions.join(' and ')}`,
  )
  await check(
    `${label}: the sample, run as the proxy, relays through a real external mediator to an agent`,
    () => relayThroughApp(app, messages, workDir),
    (outcome) =>
      `${outcome.delivered}/${outcome.sent} messages delivered, the proxy on Credo ${outcome.proxyCredoVersion}`,
  )
}

async function checkWalletApp(workDir: string, release: string, tarballs: Tarballs): Promise<void> {
  const { app, label } = await scratchApp(workDir, `credo-${release}-wallet`, release, [tarballs.portableWallet])
  if (!app) return
  await check(
    `${label}: the wallet README's sample type-checks in the app`,
    () => typecheckSample(app, readmeSample('wallet')),
    (resolutions) => `moduleResolution ${resolutions.join(' and ')}`,
  )
  await check(
    `${label}: the wallet sample runs: a key and a record, found again after a reopen`,
    () => runWalletSample(app, workDir),
    (outcome) => `${outcome.invitationKeys} key(s), record found, on Credo ${outcome.credoVersion}`,
  )
}

async function main(): Promise<number> {
  const started = Date.now()
  const workDir = mkdtempSync(join(tmpdir(), 'proxy-mediator-packages-'))
  try {
    const tarballs = await check(
      'npm pack: the build and the README only',
      () => packPackages(workDir),
      (packed) => Object.values(packed).join(', '),
    )
    await check('npm publish --dry-run', publishDryRun, (published) => published.join(', '))
    if (tarballs) {
      for (const release of releases(options.credo)) await checkModuleApp(workDir, release, tarballs)
      for (const release of releases(options['wallet-only'])) await checkWalletApp(workDir, release, tarballs)
    }
  } finally {
    if (options.keep) log(`kept ${workDir}`)
    else rmSync(workDir, { recursive: true, force: true })
  }
  log(`${failures.length ? `FAILED ${failures.length}` : 'all passed'} in ${seconds(started)}`)
  return failures.length ? 1 : 0
}

main().then(
  (status) => process.exit(status),
  (error) => {
    log(`FAILED: ${(error as Error)?.stack ?? error}`)
    process.exit(1)
  },
)
