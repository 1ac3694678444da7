import type { Server } from 'node:http'
import type { ProxyMediatorControl } from '../../../web/ProxyMediatorControl'
import { createTestHttpApp } from './createTestHttpApp'
import { serveOnLoopback } from './serveOnLoopback'

/**
 * The runner's routes over a stand-in module, on a loopback port, with small limits and no log: the
 * admin routes and the DIDComm endpoint on one app, as `--admin-port` equal to `--port` serves them.
 */
export async function serveTestApp(
  control: () => ProxyMediatorControl | undefined,
  adminApiKey: string | undefined,
): Promise<{ server: Server; baseUrl: string }> {
  const httpApp = createTestHttpApp({
    control,
    adminApiKey,
    adminOnDidcommPort: true,
  })
  httpApp.finish()
  return serveOnLoopback(httpApp.app)
}
