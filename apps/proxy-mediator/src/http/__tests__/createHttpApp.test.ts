import type { Server } from 'node:http'
import { StorageUnavailableError } from '@proxy-mediator/proxy-mediator'
import type { DeadLetterQuery, MediatorChange, ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import {
  InvalidInvitationError,
  MediatorChangeRefusedError,
  MediatorNotFoundError,
  MediatorUnreachableError,
  SetupInProgressError,
} from '@proxy-mediator/proxy-mediator'
import { noDeadLetterActions } from '../../__tests__/support/statusFixtures'
import { RunnerLogger } from '../../logging/RunnerLogger'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { checkInvitationUrlAsTheModule } from './support/checkInvitationUrlAsTheModule'
import { createTestHttpApp } from './support/createTestHttpApp'
import { serveOnLoopback } from './support/serveOnLoopback'
import { serveTestApp } from './support/serveTestApp'

const AGENT_INVITATION = 'http://proxy.internal:3000?oob=eyJ0eXAiOiJ4In0'

function statusOf(state: ProxyMediatorStatus['status']): ProxyMediatorStatus {
  return {
    status: state,
    reason: `the proxy is ${state}`,
    upstream: { routingKeys: [], socketState: 'none', reconnects: 0 },
    mediators: [],
    failovers: 0,
    agents: [],
    counters: { relayed: 0, deadLettered: 0, inFlight: 0, failedAttempts: 0, outbox: 0, heldInMemory: 0 },
    storage: { writable: true },
  }
}

class FakeControl implements ProxyMediatorControl {
  public state: ProxyMediatorStatus['status'] = 'init'
  public connectError?: Error
  public connectedTo: string[] = []
  /** The kids this fake proxy holds. */
  public ownKids = new Set(['proxy-kid'])
  getStatus() {
    return statusOf(this.state)
  }
  async getAgentInvitation() {
    return { invitationUrl: AGENT_INVITATION }
  }
  async isAddressedToProxy(envelope: { protected: string }) {
    const header = JSON.parse(Buffer.from(envelope.protected, 'base64url').toString())
    return header.recipients.some((recipient: { header: { kid: string } }) => this.ownKids.has(recipient.header.kid))
  }
  public deadLetters = [
    { id: 'dl-1', at: '2026-01-01T00:00:00.000Z', reason: 'cannot decrypt envelope', replayable: true },
  ]
  /** What posted forwards meet: a store that takes no writes throws as the module does. */
  public storageFull = false
  async acceptForward() {
    if (this.storageFull)
      throw new StorageUnavailableError('The proxy cannot keep the forward: storage full: ENOSPC', 2)
    return { kind: 'not-a-forward' } as const
  }
  public deadLetterQueries: DeadLetterQuery[] = []
  async getDeadLetterPage(query: DeadLetterQuery = {}) {
    this.deadLetterQueries.push(query)
    return { deadLetters: this.deadLetters.slice(0, query.limit), next: 'next-cursor' }
  }
  public connectOptions: Array<{ primary?: boolean } | undefined> = []
  async connectToMediator(url: string, options?: { primary?: boolean }) {
    checkInvitationUrlAsTheModule(url)
    if (this.connectError) throw this.connectError
    this.connectedTo.push(url)
    this.connectOptions.push(options)
    const first = this.state === 'init'
    this.state = 'ready'
    const change: MediatorChange = first
      ? { result: 'added', mediatorId: 'm-1', role: 'primary', detail: 'Added as primary.' }
      : {
          result: 'added',
          mediatorId: `m-${this.connectedTo.length}`,
          role: 'primary',
          previousPrimaryId: 'm-1',
          agentsAnnouncedTo: 0,
          detail: 'Added as primary; m-1 drains.',
        }
    return { ...this.getStatus(), change }
  }
  async promoteMediator(id: string): Promise<MediatorChange> {
    return { result: 'promoted', mediatorId: id, detail: '' }
  }
  async drainMediator(id: string): Promise<MediatorChange> {
    return { result: 'draining', mediatorId: id, detail: '' }
  }
  async removeMediator(id: string): Promise<MediatorChange> {
    return { result: 'removed', mediatorId: id, detail: '' }
  }
  async announceRoute() {
    return 0
  }
  replayDeadLetters = noDeadLetterActions.replayDeadLetters
  replayDeadLettersOf = noDeadLetterActions.replayDeadLettersOf
  deleteDeadLetters = noDeadLetterActions.deleteDeadLetters
  deleteAllDeadLetters = noDeadLetterActions.deleteAllDeadLetters
}

describe('runner HTTP routes', () => {
  let server: Server
  let baseUrl: string
  let control: FakeControl | undefined
  let didcommBodies: string[]
  let rejections: string[]
  let logLines: string[]
  let drain: () => void

  beforeEach(async () => {
    control = new FakeControl()
    didcommBodies = []
    rejections = []
    logLines = []
    const logger = new RunnerLogger({ level: 'debug', format: 'json', write: (line) => logLines.push(line) })
    const httpApp = createTestHttpApp({
      control: () => control,
      logger,
      adminApiKey: 'admin-secret',
      countRejection: (reason) => rejections.push(reason),
      // The routes and the DIDComm endpoint on one app, as the compatibility option serves them.
      adminOnDidcommPort: true,
    })
    drain = httpApp.startDraining
    // Stands in for the route the DIDComm transport adds to the same app.
    httpApp.app.post('/', (req, res) => {
      didcommBodies.push(String(req.body))
      res.status(200).end()
    })
    httpApp.finish()
    ;({ server, baseUrl } = await serveOnLoopback(httpApp.app))
  })

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  const postInvitation = (body: string, headers: Record<string, string> = {}, path = '/receive_mediator_invitation') =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'admin-secret', ...headers },
      body,
    })

  it('serves health, status and readiness before any mediator is configured', async () => {
    expect(await (await fetch(`${baseUrl}/health`)).json()).toEqual({ status: 'ok' })
    const status = await fetch(`${baseUrl}/status`, { headers: { 'x-api-key': 'admin-secret' } })
    expect(status.status).toBe(200)
    expect(await status.json()).toMatchObject({ status: 'init', agents: [], counters: { relayed: 0 } })
    // Without the key, only the state: agents, endpoints and keys are the operator's business.
    expect(await (await fetch(`${baseUrl}/status`)).json()).toEqual({ status: 'init' })
    const ready = await fetch(`${baseUrl}/ready`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toEqual({ ready: false, status: 'init' })
  })

  it('returns the agent invitation under both names, to the holder of the admin key only', async () => {
    for (const path of ['/retrieve_agent_invitation', '/invitation']) {
      expect((await fetch(`${baseUrl}${path}`)).status).toBe(401)
      const response = await fetch(`${baseUrl}${path}`, { headers: { 'x-api-key': 'admin-secret' } })
      expect(await response.json()).toEqual({ invitation_url: AGENT_INVITATION })
    }
  })

  it('answers 503 with a null invitation while the agent is starting', async () => {
    control = undefined
    const response = await fetch(`${baseUrl}/retrieve_agent_invitation`, { headers: { 'x-api-key': 'admin-secret' } })
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ invitation_url: null, error: 'starting' })
    expect((await fetch(`${baseUrl}/status`)).status).toBe(503)
  })

  it('connects to the mediator and reports ready, under both names', async () => {
    const response = await postInvitation(JSON.stringify({ invitation_url: 'http://mediator:3001?oob=abc' }))
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'ready', change: { result: 'added', mediatorId: 'm-1' } })
    // Called again once set up: adds a mediator, and says so; `primary` is passed on.
    const second = await postInvitation(
      JSON.stringify({ invitation_url: 'http://m2?oob=x', primary: false }),
      {},
      '/mediator-invitation',
    )
    expect(second.status).toBe(200)
    expect(await second.json()).toMatchObject({ change: { result: 'added', previousPrimaryId: 'm-1' } })
    expect(control?.connectedTo).toEqual(['http://mediator:3001?oob=abc', 'http://m2?oob=x'])
    // A script that sends no `primary` gets the module's default.
    expect(control?.connectOptions).toEqual([undefined, { primary: false }])
    expect((await fetch(`${baseUrl}/ready`)).status).toBe(200)
  })

  it('needs the admin key, compared exactly', async () => {
    const body = JSON.stringify({ invitation_url: 'http://mediator?oob=a' })
    for (const headers of [{ 'x-api-key': 'wrong' }, { 'x-api-key': 'admin-secre' }, { 'x-api-key': '' }]) {
      const response = await postInvitation(body, headers)
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: 'unauthorized' })
    }
    expect(control?.connectedTo).toEqual([])
  })

  it('says an invitation_url that is not text is not text, not that it is missing', async () => {
    const response = await postInvitation('{"invitation_url":5}')
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      error: 'bad_request',
      detail: "invitation_url: must be the external mediator's invitation URL as a JSON string, got 5.",
    })
    expect(control?.connectedTo).toEqual([])
  })

  it.each([
    ['not JSON', '{"invitation_url":', 400, 'invalid_json'],
    ['no invitation_url', '{}', 400, 'bad_request'],
    ['a malformed URL', '{"invitation_url":"not a url"}', 400, 'invalid_invitation'],
    ['a primary that is no boolean', '{"invitation_url":"http://m?oob=a","primary":"yes"}', 400, 'invalid_primary'],
    [
      'an oversized body',
      JSON.stringify({ invitation_url: `http://m?oob=${'a'.repeat(2000)}` }),
      413,
      'payload_too_large',
    ],
  ])('rejects %s with a JSON 4xx and no stack', async (_name, body, status, error) => {
    const response = await postInvitation(body)
    expect(response.status).toBe(status)
    const json = await response.json()
    expect(json).toEqual({ error, detail: expect.any(String) })
    expect(JSON.stringify(json)).not.toMatch(/\bat .+\.(ts|js):\d+/)
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200)
  })

  it.each([
    [new InvalidInvitationError('not an out-of-band invitation'), 400, 'invalid_invitation'],
    [new MediatorUnreachableError('connect ECONNREFUSED 127.0.0.1:9'), 502, 'mediator_unreachable'],
    [new MediatorChangeRefusedError('mediator X still holds 3 messages'), 409, 'mediator_change_refused'],
    [new MediatorNotFoundError('no mediator X'), 404, 'mediator_not_found'],
    [new SetupInProgressError('connecting already'), 409, 'setup_in_progress'],
    [new Error('boom with internals'), 500, 'internal_error'],
  ])('maps %p from the module to %i', async (thrown, status, error) => {
    control!.connectError = thrown
    const response = await postInvitation(JSON.stringify({ invitation_url: 'http://mediator?oob=a' }))
    expect(response.status).toBe(status)
    const json = (await response.json()) as { error: string; detail: string }
    expect(json.error).toBe(error)
    if (status < 500) expect(json.detail).toBe(thrown.message)
    else expect(json.detail).not.toContain('boom')
    expect(JSON.stringify(json)).not.toContain('at ')
  })

  const protectedFor = (kid: string) =>
    Buffer.from(JSON.stringify({ recipients: [{ header: { kid } }] })).toString('base64url')

  it('answers an envelope for a key the proxy does not hold with 400 before the DIDComm route', async () => {
    const envelope = JSON.stringify({ protected: protectedFor('someone-else'), iv: 'y', ciphertext: 'z', tag: 't' })
    const response = await fetch(`${baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/didcomm-envelope-enc' },
      body: envelope,
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: 'unknown_recipient', detail: expect.any(String) })
    expect(didcommBodies).toEqual([])
  })

  it('leaves DIDComm bodies to the DIDComm route and caps their size with 413', async () => {
    const envelope = JSON.stringify({ protected: protectedFor('proxy-kid'), iv: 'y', ciphertext: 'z', tag: 't' })
    for (const type of ['application/didcomm-envelope-enc', 'application/ssi-agent-wire']) {
      const response = await fetch(`${baseUrl}/`, { method: 'POST', headers: { 'content-type': type }, body: envelope })
      expect(response.status).toBe(200)
    }
    expect(didcommBodies).toEqual([envelope, envelope])

    const tooBig = await fetch(`${baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/didcomm-envelope-enc' },
      body: 'x'.repeat(4096),
    })
    expect(tooBig.status).toBe(413)
    expect(await tooBig.json()).toMatchObject({ error: 'payload_too_large' })
    expect(didcommBodies).toHaveLength(2)
  })

  it.each([
    ['garbage', 'not json \u0000', 'invalid_json'],
    ['an empty body', '', 'invalid_json'],
    ['JSON that is no DIDComm message', '{"hello":"world"}', 'not_a_didcomm_message'],
    ['a JSON array', '[1]', 'not_a_didcomm_message'],
    ['an envelope missing parts', '{"protected":"x","iv":"y"}', 'not_a_didcomm_message'],
  ])('answers a DIDComm POST of %s with 400 before the DIDComm route', async (_name, body, error) => {
    const response = await fetch(`${baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/didcomm-envelope-enc' },
      body,
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error, detail: expect.any(String) })
    expect(didcommBodies).toEqual([])
  })

  it('refuses a plaintext DIDComm message with 400: the internet side takes envelopes only', async () => {
    const plaintext = JSON.stringify({ '@type': 'https://didcomm.org/trust_ping/1.0/ping', '@id': '1' })
    const response = await fetch(`${baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/ssi-agent-wire' },
      body: plaintext,
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: string }).error).toBe('plaintext_not_accepted')
    expect(didcommBodies).toEqual([])
  })

  it('answers a forward it cannot keep while its store takes no writes with 503 and Retry-After, counted as a refusal, not logged as an error', async () => {
    if (!control) throw new Error('no control')
    control.storageFull = true
    try {
      const envelope = {
        protected: Buffer.from(JSON.stringify({ recipients: [{ header: { kid: 'proxy-kid' } }] })).toString(
          'base64url',
        ),
        iv: 'y',
        ciphertext: 'z',
        tag: 't',
      }
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await fetch(`${baseUrl}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/didcomm-envelope-enc' },
          body: JSON.stringify(envelope),
        })
        expect(response.status).toBe(503)
        expect(response.headers.get('retry-after')).toBe('2')
        expect(await response.json()).toEqual({
          error: 'storage_unavailable',
          detail: 'The proxy cannot keep the forward: storage full: ENOSPC; send it again later.',
        })
      }
      expect(rejections).toEqual(['storage_unavailable', 'storage_unavailable'])
    } finally {
      if (control) control.storageFull = false
    }
  })

  it('bounds the recipient list and the protected header before any key look-up', async () => {
    const lookups = jest.spyOn(FakeControl.prototype, 'isAddressedToProxy')
    const post = (protectedHeader: string) =>
      fetch(`${baseUrl}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/didcomm-envelope-enc' },
        body: JSON.stringify({ protected: protectedHeader, iv: 'y', ciphertext: 'z', tag: 't' }),
      })
    const recipients = Array.from({ length: 5 }, (_, index) => ({ header: { kid: `kid-${index}` } }))
    const tooMany = await post(Buffer.from(JSON.stringify({ recipients })).toString('base64url'))
    expect(tooMany.status).toBe(400)
    expect(((await tooMany.json()) as { error: string }).error).toBe('too_many_recipients')
    const tooLong = await post('e'.repeat(800))
    expect(tooLong.status).toBe(400)
    expect(((await tooLong.json()) as { error: string }).error).toBe('header_too_large')
    expect(lookups).not.toHaveBeenCalled()
    expect(rejections).toEqual(['too_many_recipients', 'header_too_large'])
    lookups.mockRestore()
  })

  it('answers an unknown route with a JSON 404 and a wrong content type with a JSON 415', async () => {
    const missing = await fetch(`${baseUrl}/no-such-route`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ error: 'not_found', detail: expect.stringContaining('GET /no-such-route') })
    const wrongType = await fetch(`${baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    })
    expect(wrongType.status).toBe(415)
    expect(((await wrongType.json()) as { error: string }).error).toBe('unsupported_media_type')
  })

  it('logs a flood of refusals as one line per reason, and counts every one', async () => {
    const before = logLines.length
    for (let i = 0; i < 20; i++) {
      await fetch(`${baseUrl}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/didcomm-envelope-enc' },
        body: 'nope',
      })
    }
    const lines = logLines.slice(before).filter((line) => line.includes('invalid_json'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toContain('stack')
    expect(rejections.filter((reason) => reason === 'invalid_json')).toHaveLength(20)
  })

  it('pages dead letters behind the admin key, bounded by count and by bytes', async () => {
    expect((await fetch(`${baseUrl}/dead-letters`)).status).toBe(401)
    const headers = { 'x-api-key': 'admin-secret' }
    const listed = await fetch(`${baseUrl}/dead-letters?limit=5`, { headers })
    expect(listed.status).toBe(200)
    expect(await listed.json()).toEqual({ dead_letters: control?.deadLetters, next: 'next-cursor' })
    const next = await fetch(`${baseUrl}/dead-letters?limit=5&before=1767225600000.dl-1`, { headers })
    expect(next.status).toBe(200)
    expect(control?.deadLetterQueries).toEqual([
      { limit: 5, before: undefined },
      { limit: 5, before: '1767225600000.dl-1' },
    ])
    for (const [query, error] of [
      ['limit=100000', 'invalid_limit'],
      ['limit=0', 'invalid_limit'],
      ['limit=1e9', 'invalid_limit'],
      ['before=not-a-cursor', 'invalid_cursor'],
    ]) {
      const refused = await fetch(`${baseUrl}/dead-letters?${query}`, { headers })
      expect({ query, status: refused.status, error: ((await refused.json()) as { error: string }).error }).toEqual({
        query,
        status: 400,
        error,
      })
    }
  })

  it('serves Prometheus text', async () => {
    const response = await fetch(`${baseUrl}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain')
  })

  it('refuses new requests while draining', async () => {
    drain()
    const response = await fetch(`${baseUrl}/health`)
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: 'shutting_down' })
  })

  it('never logs the body of a mediator invitation', async () => {
    await postInvitation(JSON.stringify({ invitation_url: 'http://mediator:3001?oob=SECRET-INVITATION' }))
    expect(logLines.join('\n')).not.toContain('SECRET-INVITATION')
    expect(logLines.join('\n')).toContain('mediator:3001')
  })
})

describe.each([
  ['without an admin key', undefined],
  ['with an admin key', 'admin-secret'],
])('admin routes refuse cross-site requests, %s', (_name, adminApiKey) => {
  let server: Server
  let baseUrl: string
  let control: FakeControl

  beforeEach(async () => {
    control = new FakeControl()
    ;({ server, baseUrl } = await serveTestApp(() => control, adminApiKey))
  })
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  const key: Record<string, string> = adminApiKey ? { 'x-api-key': adminApiKey } : {}
  const invitation = JSON.stringify({ invitation_url: 'http://attacker.example?oob=abc' })
  const send = (path: string, method: string, headers: Record<string, string>, body?: string) =>
    fetch(`${baseUrl}${path}`, { method, headers: { ...key, ...headers }, body })
  const errorOf = async (response: Response) => ({
    status: response.status,
    error: ((await response.json()) as { error?: string }).error,
  })

  it.each([
    // What a page of another site can make a browser send without asking the proxy first.
    [
      'a text/plain form with a JSON body',
      '/mediators',
      'POST',
      { 'content-type': 'text/plain' },
      invitation,
      415,
      'json_required',
    ],
    [
      'an urlencoded form',
      '/receive_mediator_invitation',
      'POST',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'invitation_url=http%3A%2F%2Fattacker.example%3Foob%3Dabc',
      415,
      'json_required',
    ],
    [
      'announce-route as a plain form',
      '/mediators/announce-route',
      'POST',
      { 'content-type': 'text/plain' },
      '',
      415,
      'unexpected_body',
    ],
    // What a browser says of a request from another site, whatever it carries.
    [
      'JSON from another origin',
      '/mediators',
      'POST',
      { 'content-type': 'application/json', origin: 'http://attacker.example' },
      invitation,
      403,
      'cross_site_request',
    ],
    [
      'a cross-site fetch',
      '/mediators/announce-route',
      'POST',
      { 'sec-fetch-site': 'cross-site' },
      undefined,
      403,
      'cross_site_request',
    ],
    [
      'a same-site fetch (another port)',
      '/mediators/m-1/drain',
      'POST',
      { 'sec-fetch-site': 'same-site' },
      undefined,
      403,
      'cross_site_request',
    ],
    ['an opaque origin', '/mediators/m-1', 'DELETE', { origin: 'null' }, undefined, 403, 'cross_site_request'],
    [
      'a read of the invitation from another site',
      '/invitation',
      'GET',
      { 'sec-fetch-site': 'cross-site' },
      undefined,
      403,
      'cross_site_request',
    ],
    [
      'a read of the dead letters from another site',
      '/dead-letters',
      'GET',
      { origin: 'http://attacker.example' },
      undefined,
      403,
      'cross_site_request',
    ],
  ])('refuses %s', async (_case, path, method, headers, body, status, error) => {
    expect(await errorOf(await send(path, method, headers, body))).toEqual({ status, error })
    expect(control.connectedTo).toEqual([])
  })

  it('takes the same calls from a script, and from the proxy’s own page', async () => {
    const json = { 'content-type': 'application/json' }
    expect((await send('/mediators', 'POST', json, invitation)).status).toBe(201)
    expect((await send('/mediators/announce-route', 'POST', {})).status).toBe(200)
    const ownPage = { ...json, origin: baseUrl, 'sec-fetch-site': 'same-origin' }
    expect((await send('/receive_mediator_invitation', 'POST', ownPage, invitation)).status).toBe(200)
    // Behind a reverse proxy that rewrites Host, the browser's own word is taken.
    const proxied = { ...json, origin: 'https://proxy.example.org', 'sec-fetch-site': 'same-origin' }
    expect((await send('/mediator-invitation', 'POST', proxied, invitation)).status).toBe(200)
    expect((await send('/invitation', 'GET', { 'sec-fetch-site': 'none' })).status).toBe(200)
    expect(control.connectedTo).toHaveLength(3)
  })
})
