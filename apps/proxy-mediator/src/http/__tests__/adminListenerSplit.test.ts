import type { Server } from 'node:http'
import { createTestHttpApp } from './support/createTestHttpApp'
import { serveOnLoopback } from './support/serveOnLoopback'

// The two apps the runner serves on two listeners: what each answers, and what it does not.
describe('the DIDComm app and the admin app', () => {
  let didcomm: { server: Server; baseUrl: string }
  let admin: { server: Server; baseUrl: string }

  beforeAll(async () => {
    const httpApp = createTestHttpApp({
      control: () => undefined,
    })
    expect(httpApp.adminApp).not.toBe(httpApp.app)
    httpApp.finish()
    didcomm = await serveOnLoopback(httpApp.app)
    admin = await serveOnLoopback(httpApp.adminApp)
  })
  afterAll(async () => {
    await Promise.all([didcomm, admin].map(({ server }) => new Promise((resolve) => server.close(resolve))))
  })

  const adminRoutes: Array<[string, string]> = [
    ['GET', '/'],
    ['GET', '/status'],
    ['GET', '/metrics'],
    ['GET', '/invitation'],
    ['GET', '/retrieve_agent_invitation'],
    ['POST', '/receive_mediator_invitation'],
    ['GET', '/mediators'],
    ['GET', '/dead-letters'],
    ['GET', '/ui/events'],
  ]

  it.each(adminRoutes)(
    'the DIDComm port answers %s %s with a 404 that says where the admin routes are',
    async (method, path) => {
      const response = await fetch(`${didcomm.baseUrl}${path}`, {
        method,
        headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
        body: method === 'POST' ? '{}' : undefined,
      })
      expect(response.status).toBe(404)
      const body = (await response.json()) as { error: string; detail: string }
      expect(body.error).toBe('not_found')
      expect(body.detail).toContain('admin listener (--admin-host, --admin-port)')
    },
  )

  it('the admin listener serves them, and both answer /health and /ready', async () => {
    expect((await fetch(`${admin.baseUrl}/metrics`)).status).toBe(200)
    expect((await fetch(`${admin.baseUrl}/status`)).status).toBe(503) // starting: no module yet
    for (const { baseUrl } of [didcomm, admin]) {
      expect((await fetch(`${baseUrl}/health`)).status).toBe(200)
      expect((await fetch(`${baseUrl}/ready`)).status).toBe(503)
    }
  })

  it('the admin listener takes no DIDComm message', async () => {
    const response = await fetch(`${admin.baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/didcomm-envelope-enc' },
      body: '{}',
    })
    expect(response.status).toBe(404)
  })
})
