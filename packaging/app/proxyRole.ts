/**
 * The proxy of `yarn test:packages`, compiled and run inside a scratch app: the README's module
 * sample (`./readmeSample`, written there from the README with real ports and the external
 * mediator's invitation) on the app's own Credo and the packed packages. It tells the orchestrator,
 * over the fork IPC channel, the agent invitation and which Credo it loaded, and stops on SIGTERM
 * or when the orchestrator goes away.
 */
import { startMyProxy } from './readmeSample'

// The module's one deep import into Credo (utils/legacyDidDoc.ts). Loading the module proves the
// file exists; this proves it still exports the function, which runs only for ACA-Py's legacy docs.
const LEGACY_DOC_HELPERS = '@credo-ts/core/build/modules/connections/services/helpers'

async function main() {
  const { agent, invitationUrl } = await startMyProxy()
  const stop = () => {
    agent.shutdown().finally(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('disconnect', stop)
  process.send?.({
    ready: true,
    invitationUrl,
    credoVersion: require('@credo-ts/core/package.json').version,
    legacyDocHelperFound: typeof require(LEGACY_DOC_HELPERS).convertToNewDidDocument === 'function',
  })
}

main().catch((error) => {
  process.stderr.write(`proxy: ${error?.stack ?? error}\n`)
  process.exit(1)
})
