import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { Egress } from '../../../transport/Egress'
import { RelayHttpClient } from '../RelayHttpClient'

/** An agent's endpoint that holds every POST until the test answers it. */
async function holdingEndpoint() {
  const held: Array<{ body: string; response: ServerResponse }> = []
  let arrived: () => void = () => undefined
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      held.push({ body, response })
      arrived()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const untilHeld = (count: number) =>
    new Promise<void>((resolve) => {
      arrived = () => held.length >= count && resolve()
      arrived()
    })
  return { url, held, untilHeld, close: () => new Promise((resolve) => server.close(resolve)) }
}

/** An HTTP CONNECT proxy on loopback that notes the target of every tunnel it opens. */
async function connectProxy() {
  const tunnels: string[] = []
  const server: Server = createServer()
  server.on('connect', (request, client) => {
    tunnels.push(request.url ?? '')
    const [host, port] = (request.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    tunnels,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('RelayHttpClient', () => {
  let client: RelayHttpClient

  afterEach(() => client.close())

  it('has at most its limit of POSTs to an endpoint under way, and starts the others in order as they end', async () => {
    const endpoint = await holdingEndpoint()
    client = new RelayHttpClient(2)
    const answers = ['a', 'b', 'c', 'd', 'e'].map((body) => client.post(endpoint.url, body, 10_000))
    await endpoint.untilHeld(2)
    // Give a third POST every chance to arrive, if the client let one through.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(endpoint.held.map(({ body }) => body)).toEqual(['a', 'b'])

    endpoint.held[0].response.writeHead(202).end()
    await endpoint.untilHeld(3)
    expect(endpoint.held[2].body).toBe('c')
    for (let index = 1; index < 5; index++) {
      endpoint.held[index].response.writeHead(200).end()
      if (index + 2 < 5) await endpoint.untilHeld(index + 3)
    }
    expect((await Promise.all(answers)).map(({ status }) => status)).toEqual([202, 200, 200, 200, 200])
    expect(endpoint.held.map(({ body }) => body)).toEqual(['a', 'b', 'c', 'd', 'e'])
    await endpoint.close()
  })

  it('gives the turn of a POST that failed to the next one', async () => {
    const endpoint = await holdingEndpoint()
    client = new RelayHttpClient(1)
    const first = client.post(endpoint.url, 'first', 200)
    const second = client.post(endpoint.url, 'second', 10_000)
    await expect(first).rejects.toThrow(/within 0.2 s/)
    await endpoint.untilHeld(2)
    endpoint.held[1].response.writeHead(200).end()
    expect((await second).status).toBe(200)
    endpoint.held[0].response.destroy()
    await endpoint.close()
  })

  it('refuses an endpoint that is not a URL, and a refused endpoint holds no turn', async () => {
    client = new RelayHttpClient(1)
    await expect(client.post('not a url', '{}', 1000)).rejects.toThrow("Invalid agent endpoint 'not a url'")
    const endpoint = await holdingEndpoint()
    const answer = client.post(endpoint.url, 'x', 10_000)
    await endpoint.untilHeld(1)
    endpoint.held[0].response.writeHead(200).end()
    expect((await answer).status).toBe(200)
    await endpoint.close()
  })

  it('posts through the egress proxy where one applies, to the agent it names', async () => {
    const endpoint = await holdingEndpoint()
    const proxy = await connectProxy()
    const egress = new Egress({ proxyUrl: proxy.url, noProxy: '' }, {})
    client = new RelayHttpClient(2, egress)
    const answers = ['a', 'b'].map((body) => client.post(endpoint.url, body, 10_000))
    await endpoint.untilHeld(2)
    for (const { response } of endpoint.held) response.writeHead(200).end()
    expect((await Promise.all(answers)).map(({ status }) => status)).toEqual([200, 200])
    expect(endpoint.held.map(({ body }) => body).sort()).toEqual(['a', 'b'])
    const { host } = new URL(endpoint.url)
    expect(proxy.tunnels.length).toBeGreaterThan(0)
    expect(new Set(proxy.tunnels)).toEqual(new Set([host]))
    await egress.close()
    await proxy.close()
    await endpoint.close()
  })
})
