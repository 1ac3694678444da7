import type { Server } from 'node:http'
import { Registry } from 'prom-client'
import { historyOf, runnerFactsFixture } from '../../../__tests__/support/statusFixtures'
import { RunnerLogger } from '../../../logging/RunnerLogger'
import { createHttpApp } from '../../../server/createHttpApp'
import type { ProxyMediatorControl } from '../../../web/ProxyMediatorControl'
import { serveOnLoopback } from './serveOnLoopback'

/**
 * The runner's routes over a stand-in module, on a loopback port, with small limits and no log: the
 * admin routes and the DIDComm endpoint on one app, as `--admin-port` equal to `--port` serves them.
 */
export async function serveTestApp(
  control: () => ProxyMediatorControl | undefined,
  adminApiKey: string | undefined,
): Promise<{ server: Server; baseUrl: string }> {
  const httpApp = createHttpApp({
    control,
    registry: new Registry(),
    history: historyOf(() => control()?.getStatus()),
    facts: runnerFactsFixture(),
    logger: new RunnerLogger({ level: 'off', format: 'json', write: () => undefined }),
    adminApiKey,
    maxBodySizeBytes: 1024,
    envelopeLimits: { maxRecipients: 4, maxProtectedHeaderBytes: 512 },
    adminOnDidcommPort: true,
  })
  httpApp.finish()
  return serveOnLoopback(httpApp.app)
}
