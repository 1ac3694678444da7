import { type RequestListener, type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** An app on a free loopback port, as the route tests reach it over real HTTP. */
export async function serveOnLoopback(app: RequestListener): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}
