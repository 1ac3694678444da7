import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { InvalidInvitationError } from '../../errors/InvalidInvitationError'
import { type InvitationFetchLimits, resolveInvitationUrl } from '../fetchInvitation'
import { invitationUrlProblem } from '../invitationUrlProblem'

const LIMITS: InvitationFetchLimits = { timeoutMs: 1_000, maxBytes: 64 * 1024, maxRedirects: 3 }
const INVITATION = {
  '@type': 'https://didcomm.org/out-of-band/1.1/invitation',
  '@id': 'f2bd1b8e-3c7c-4fd9-9b8b-e7d3c6fd1e5a',
  services: ['did:peer:2.example'],
}

/** A server whose every path is a case; it counts the bytes it managed to write for each. */
describe('resolveInvitationUrl: a short invitation URL, fetched with bounds', () => {
  let server: Server
  let base: string
  const written = new Map<string, number>()
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(INVITATION)),
    '/deep-link': (_req, res) => res.writeHead(302, { location: 'didcomm://invite?oob=eyJhIjoxfQ' }).end(),
    '/loop': (req, res) => res.writeHead(302, { location: req.url ?? '/loop' }).end(),
    '/elsewhere': (_req, res) => res.writeHead(301, { location: 'ftp://files.example/invitation' }).end(),
    '/missing': (_req, res) => res.writeHead(404).end(),
    '/html': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'),
    '/declared-huge': (_req, res) => res.writeHead(200, { 'content-length': String(400 * 1024 * 1024) }).end(),
    // 400 MB, written for as long as the client reads.
    '/huge': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      let sent = 0
      const pump = () => {
        while (sent < 400 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length
          written.set(req.url ?? '', sent)
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    },
    // One byte every 50 ms, for ever: the headers come at once, the body never ends.
    '/trickle': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(' ')
        written.set(req.url ?? '', (written.get(req.url ?? '') ?? 0) + 1)
      }, 50)
      res.once('close', () => clearInterval(timer))
    },
  }

  beforeAll(async () => {
    server = createServer((req, res) => (routes[req.url ?? ''] ?? routes['/missing'])(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const refusal = async (path: string, limits = LIMITS) => {
    const error = await resolveInvitationUrl(`${base}${path}`, limits).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidInvitationError)
    return (error as Error).message
  }

  it('returns a URL that carries its invitation as it is, without fetching', async () => {
    const fetchNothing = jest.fn()
    const url = 'https://mediator.example/?oob=eyJhIjoxfQ'
    expect(await resolveInvitationUrl(url, LIMITS, fetchNothing)).toBe(url)
    expect(fetchNothing).not.toHaveBeenCalled()
  })

  it("refuses what is not a URL in the words of the module's one check, without fetching", async () => {
    const fetchNothing = jest.fn()
    const error = await resolveInvitationUrl('mediator.example?oob=x', LIMITS, fetchNothing).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidInvitationError)
    expect((error as Error).message).toBe(invitationUrlProblem('mediator.example?oob=x'))
    expect(fetchNothing).not.toHaveBeenCalled()
  })

  it('re-encodes a JSON answer as ?oob=, and ends at a redirect to a deep link', async () => {
    const inline = new URL(await resolveInvitationUrl(`${base}/json`, LIMITS))
    expect(JSON.parse(Buffer.from(inline.searchParams.get('oob') ?? '', 'base64url').toString())).toEqual(INVITATION)
    expect(await resolveInvitationUrl(`${base}/deep-link`, LIMITS)).toBe('didcomm://invite?oob=eyJhIjoxfQ')
  })

  it('follows at most 3 redirects, and only to http(s)', async () => {
    expect(await refusal('/loop')).toContain('more than 3 redirects')
    expect(await refusal('/elsewhere')).toContain('only http and https')
  })

  it('refuses an answer that is no invitation', async () => {
    expect(await refusal('/missing')).toContain('answered HTTP 404')
    expect(await refusal('/html')).toContain('no invitation')
  })

  it('stops reading a body past the cap, declared or not', async () => {
    expect(await refusal('/declared-huge')).toContain(`larger than ${64 * 1024} bytes`)
    expect(await refusal('/huge')).toContain(`larger than ${64 * 1024} bytes`)
    // The server stopped once the client let go: far less than 400 MB went out.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(written.get('/huge')).toBeLessThan(64 * 1024 * 1024)
  })

  it('gives up on a body that trickles once the whole deadline is spent', async () => {
    expect(await refusal('/trickle', { ...LIMITS, timeoutMs: 500 })).toContain('did not come within 500 ms')
    // Bytes kept coming before the deadline: it is the total that is bounded, not the pause between them.
    expect(written.get('/trickle')).toBeGreaterThan(0)
  })
})
