import { startExternalMediator } from '@proxy-mediator/topology'
import { envNumber, serveRole } from '../serveRole'

/** Demo role: the external mediator on the "internet" side. */
async function main() {
  const mediator = await startExternalMediator({ port: envNumber('DEMO_PORT'), storagePath: process.env.DEMO_STORAGE })
  serveRole({ invitation: () => mediator.createInvitationUrl() }, { endpoint: mediator.endpoints[0] }, () =>
    mediator.stop(),
  )
}

main().catch((error) => {
  process.stderr.write(`external mediator: ${error?.stack ?? error}\n`)
  process.exit(1)
})
