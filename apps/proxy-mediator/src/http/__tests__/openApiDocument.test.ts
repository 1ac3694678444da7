import type { Server } from 'node:http'
import { noDeadLetterActions, proxyStatus } from '../../__tests__/support/statusFixtures'
import type { HttpApp } from '../../server/createHttpApp'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import type { OpenApiDocument } from '../api/openApiDocument'
import { createTestHttpApp } from './support/createTestHttpApp'
import { registeredRoutes } from './support/registeredRoutes'
import { serveOnLoopback } from './support/serveOnLoopback'

// The OpenAPI document against the server itself: every API route the express app has is in the
// document, every route of the document is on the app, and the document's word on the admin key
// is what the routes do.

const KEY = 'the-admin-key'

const control: ProxyMediatorControl = {
  getStatus: () => proxyStatus({ status: 'ready' }),
  getAgentInvitation: async () => ({ invitationUrl: 'http://proxy?oob=x' }),
  connectToMediator: async () => ({ ...proxyStatus(), change: { result: 'added', mediatorId: 'm', detail: '' } }),
  promoteMediator: async (id) => ({ result: 'promoted', mediatorId: id, detail: '' }),
  drainMediator: async (id) => ({ result: 'draining', mediatorId: id, detail: '' }),
  removeMediator: async (id) => ({ result: 'removed', mediatorId: id, detail: '' }),
  announceRoute: async () => 0,
  isAddressedToProxy: async () => false,
  acceptForward: async () => ({ kind: 'not-a-forward' }),
  getDeadLetterPage: async () => ({ deadLetters: [] }),
  ...noDeadLetterActions,
}

/** The page's routes and the DIDComm endpoint share the port, and are not the API. */
const isPageOrDidcomm = ({ method, path }: { method: string; path: string }) => path === '/' || path.startsWith('/ui/')

describe('the OpenAPI document', () => {
  let httpApp: HttpApp
  let server: Server
  let baseUrl: string
  let document: OpenApiDocument

  beforeAll(async () => {
    httpApp = createTestHttpApp({
      control: () => control,
      adminApiKey: KEY,
      // Every route below gets a wrong key once: more than the default limit.
      adminKeyLimits: { maxFailures: 1_000 },
      maxBodySizeBytes: 64 * 1024,
    })
    // The DIDComm transport adds its route to the DIDComm app, as in the runner.
    httpApp.app.post('/', (_req, res) => {
      res.status(202).end()
    })
    httpApp.finish()
    ;({ server, baseUrl } = await serveOnLoopback(httpApp.adminApp))
    document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenApiDocument
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  const documented = () =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method, path: path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1') })),
    )
  const key = ({ method, path }: { method: string; path: string }) => `${method.toUpperCase()} ${path}`

  it('is served as OpenAPI 3.1 and lists every route of both listeners but the page and the DIDComm endpoint', () => {
    expect(document.openapi).toBe('3.1.0')
    expect(document.info.version).toBe('9.8.7')
    expect(httpApp.adminApp).not.toBe(httpApp.app)
    // The DIDComm listener's routes (POST /, its gate and the transport's, /health, /ready) and the admin listener's.
    const didcomm = registeredRoutes(httpApp.app)
    expect([...new Set(didcomm.map(key))].sort()).toEqual(['GET /health', 'GET /ready', 'POST /'])
    const served = [...didcomm, ...registeredRoutes(httpApp.adminApp)]
    // The walk sees the routes it must leave out, so it does see the whole stack.
    expect(served.filter(isPageOrDidcomm).map(key)).toEqual(
      expect.arrayContaining(['GET /', 'POST /', 'POST /ui/sign-in']),
    )
    const api = new Set(served.filter((route) => !isPageOrDidcomm(route)).map(key))
    expect(new Set(documented().map(key))).toEqual(api)
    // The ones this issue added among them.
    expect([...api]).toEqual(
      expect.arrayContaining([
        'GET /status/history',
        'POST /dead-letters/replay',
        'POST /dead-letters/delete',
        'GET /about',
        'GET /openapi.json',
        'GET /api-docs',
      ]),
    )
  })

  it('says of each route what the server does: the admin key refused or asked for, open routes open', async () => {
    for (const { path, method } of documented()) {
      const operation = document.paths[path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')][method as 'get']
      if (!operation) throw new Error(`no operation for ${method} ${path}`)
      const url = `${baseUrl}${path.replace(/:([A-Za-z0-9_]+)/g, 'an-id')}`
      const withoutKey = await fetch(url, {
        method: method.toUpperCase(),
        headers: { 'content-type': 'application/json' },
      })
      const needsKey = operation.security.length === 1 && 'adminApiKey' in operation.security[0]
      expect({ route: key({ method, path }), refused: withoutKey.status === 401 }).toEqual({
        route: key({ method, path }),
        refused: needsKey,
      })
      if (needsKey) {
        expect(operation.responses['401']).toBeDefined()
        expect(operation.responses['429']).toBeDefined()
        const wrongKey = await fetch(url, {
          method: method.toUpperCase(),
          headers: { 'content-type': 'application/json', 'x-api-key': 'not-the-key' },
        })
        expect([key({ method, path }), wrongKey.status]).toEqual([key({ method, path }), 401])
      }
    }
  })

  it('describes the inputs the routes validate, with the error code of each field', () => {
    const deadLetters = document.paths['/dead-letters'].get
    expect(deadLetters?.parameters).toEqual([
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        required: false,
        schema: expect.objectContaining({
          type: 'integer',
          minimum: 1,
          maximum: 1000,
          'x-error-code': 'invalid_limit',
        }),
      }),
      expect.objectContaining({
        name: 'before',
        in: 'query',
        schema: expect.objectContaining({ 'x-error-code': 'invalid_cursor' }),
      }),
    ])
    const remove = document.paths['/mediators/{id}'].delete
    expect(remove?.parameters.map(({ name, in: where, required }) => ({ name, where, required }))).toEqual([
      { name: 'id', where: 'path', required: true },
      { name: 'force', where: 'query', required: false },
    ])
    const replay = document.paths['/dead-letters/replay'].post
    expect(Object.keys((replay?.requestBody?.content['application/json'].schema.properties ?? {}) as object)).toEqual([
      'ids',
      'connection_id',
    ])
    const status = document.paths['/status'].get
    expect(status?.security).toEqual([{}, { adminApiKey: [] }])
    expect(document.paths['/health'].get?.security).toEqual([])
  })

  it('has a path parameter for every {name} of a path, and every operation an id of its own', () => {
    const ids = new Set<string>()
    for (const [path, methods] of Object.entries(document.paths)) {
      const names = [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1])
      for (const operation of Object.values(methods)) {
        if (!operation) continue
        expect(operation.parameters.filter((parameter) => parameter.in === 'path').map((p) => p.name)).toEqual(names)
        expect(ids.has(operation.operationId)).toBe(false)
        ids.add(operation.operationId)
      }
    }
  })

  it('is rendered as a reference page with no script and nothing from elsewhere, under the page CSP', async () => {
    const response = await fetch(`${baseUrl}/api-docs`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
    const page = await response.text()
    expect(page).not.toMatch(/<script/)
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//)
    for (const { method, path } of documented()) {
      expect(page).toContain(`data-method="${method}" data-path="${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}"`)
    }
    expect(page).toContain('Refused as <code>invalid_limit</code>')
  })
})
