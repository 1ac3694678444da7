/**
 * The wallet check of `yarn test:packages`, compiled and run inside a scratch app that has only the
 * packed portable wallet: the wallet README's sample (`./readmeSample`) on the app's own Credo. An
 * invitation makes a key in the wallet and stores a record; a second agent on the same wallet,
 * after a shutdown, must find the record again. Tells the orchestrator what it found, over the
 * fork IPC channel, and exits once the message is sent.
 */
import { startMyAgent } from './readmeSample'

async function main() {
  const first = await startMyAgent()
  const { id, outOfBandInvitation } = await first.oob.createInvitation()
  await first.shutdown()
  const reopened = await startMyAgent()
  const found = await reopened.oob.findById(id)
  await reopened.shutdown()
  const report = {
    ready: true,
    credoVersion: require('@credo-ts/core/package.json').version,
    invitationKeys: outOfBandInvitation.getInlineServices().flatMap((service) => service.recipientKeys).length,
    recordFoundAfterReopen: found?.outOfBandInvitation.id === outOfBandInvitation.id,
  }
  process.send?.(report, () => process.exit(0))
}

main().catch((error) => {
  process.stderr.write(`wallet: ${error?.stack ?? error}\n`)
  process.exit(1)
})
