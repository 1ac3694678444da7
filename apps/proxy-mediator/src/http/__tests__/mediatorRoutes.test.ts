import type { Server } from 'node:http'
import {
  type MediatorChange,
  MediatorChangeRefusedError,
  MediatorNotFoundError,
  type ProxyMediatorStatus,
  SetupInProgressError,
  type UpstreamMediatorStatus,
} from '@proxy-mediator/proxy-mediator'
import { mediatorStatus, noDeadLetterActions, proxyStatus } from '../../__tests__/support/statusFixtures'
import { RunnerLogger } from '../../logging/RunnerLogger'
import { createHttpApp } from '../../server/createHttpApp'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { checkInvitationUrlAsTheModule } from './support/checkInvitationUrlAsTheModule'
import { serveTestApp } from './support/serveTestApp'

// The admin routes of the external mediators, in-process, with a stand-in for the module that
// records each call: the key, the validation of ids and bodies, the answers, and the module's errors.

const KEY = 'admin-secret'

function mediator(id: string, role: UpstreamMediatorStatus['role']): UpstreamMediatorStatus {
  return mediatorStatus(id, {
    role,
    endpoint: `http://${id}.example`,
    reconnects: 1,
    ...(role === 'draining' ? { lastError: 'socket closed' } : {}),
    heldMessages: role === 'draining' ? 3 : 0,
    namedInGrants: role === 'primary',
  })
}

class RecordingControl implements ProxyMediatorControl {
  public calls: string[] = []
  public error?: Error
  public mediators = [mediator('m-1', 'primary'), mediator('m-2', 'draining')]

  getStatus(): ProxyMediatorStatus {
    return proxyStatus({
      status: 'ready',
      reason: 'Picking up from the primary.',
      mediators: this.mediators,
      failovers: 1,
    })
  }
  private async record(call: string, change: MediatorChange): Promise<MediatorChange> {
    if (this.error) throw this.error
    this.calls.push(call)
    return change
  }
  async connectToMediator(url: string, options?: { primary?: boolean }) {
    checkInvitationUrlAsTheModule(url)
    const change = await this.record(`add ${url} primary=${options?.primary}`, {
      result: url.includes('known') ? 'unchanged' : 'added',
      mediatorId: 'm-3',
      role: options?.primary === false ? 'standby' : 'primary',
      detail: 'Added.',
    })
    return { ...this.getStatus(), change }
  }
  promoteMediator(id: string) {
    return this.record(`promote ${id}`, {
      result: 'promoted',
      mediatorId: id,
      previousPrimaryId: 'm-1',
      agentsAnnouncedTo: 2,
      detail: 'Promoted.',
    })
  }
  drainMediator(id: string) {
    return this.record(`drain ${id}`, { result: 'draining', mediatorId: id, detail: 'Draining.' })
  }
  removeMediator(id: string, options?: { force?: boolean }) {
    return this.record(`remove ${id} force=${options?.force}`, {
      result: 'removed',
      mediatorId: id,
      detail: 'Removed.',
    })
  }
  async announceRoute() {
    if (this.error) throw this.error
    this.calls.push('announce')
    return 2
  }
  async getAgentInvitation() {
    return { invitationUrl: 'http://proxy?oob=x' }
  }
  async isAddressedToProxy() {
    return false
  }
  async acceptForward() {
    return { kind: 'not-a-forward' } as const
  }
  async getDeadLetterPage() {
    return { deadLetters: [] }
  }
  replayDeadLetters = noDeadLetterActions.replayDeadLetters
  replayDeadLettersOf = noDeadLetterActions.replayDeadLettersOf
  deleteDeadLetters = noDeadLetterActions.deleteDeadLetters
  deleteAllDeadLetters = noDeadLetterActions.deleteAllDeadLetters
}

describe('external mediator routes', () => {
  let server: Server
  let baseUrl: string
  let control: RecordingControl | undefined

  beforeEach(async () => {
    control = new RecordingControl()
    ;({ server, baseUrl } = await serveTestApp(() => control, KEY))
  })
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  /** `key: null` sends no x-api-key header. */
  const call = (method: string, path: string, body?: unknown, key: string | null = KEY) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'x-api-key': key }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })

  it('needs the admin key on every route', async () => {
    for (const [method, path] of [
      ['GET', '/mediators'],
      ['POST', '/mediators'],
      ['POST', '/mediators/m-2/promote'],
      ['POST', '/mediators/m-2/drain'],
      ['DELETE', '/mediators/m-2'],
      ['POST', '/mediators/announce-route'],
    ]) {
      for (const key of [null, 'wrong']) {
        const response = await call(
          method,
          path,
          method === 'POST' ? { invitation_url: 'http://m?oob=a' } : undefined,
          key,
        )
        expect([method, path, response.status]).toEqual([method, path, 401])
        expect(await response.json()).toMatchObject({ error: 'unauthorized' })
      }
    }
    expect(control?.calls).toEqual([])
  })

  it('lists the mediators with role, state, counts and last error', async () => {
    const response = await call('GET', '/mediators')
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body).toMatchObject({ status: 'ready', failovers: 1, reason: expect.any(String) })
    expect(body.mediators).toEqual(control?.mediators)
    expect(body.mediators[1]).toMatchObject({ role: 'draining', heldMessages: 3, lastError: 'socket closed' })
  })

  it('adds a mediator as primary by default, as standby with primary: false, and reports one it had', async () => {
    const added = await call('POST', '/mediators', { invitation_url: 'http://m3?oob=a' })
    expect(added.status).toBe(201)
    expect(await added.json()).toMatchObject({
      change: { result: 'added', role: 'primary' },
      mediators: control?.mediators,
    })
    const standby = await call('POST', '/mediators', { invitation_url: 'http://m4?oob=a', primary: false })
    expect((await standby.json()).change.role).toBe('standby')
    const known = await call('POST', '/mediators', { invitation_url: 'http://known?oob=a' })
    expect(known.status).toBe(200)
    expect((await known.json()).change.result).toBe('unchanged')
    expect(control?.calls).toEqual([
      'add http://m3?oob=a primary=true',
      'add http://m4?oob=a primary=false',
      'add http://known?oob=a primary=true',
    ])
  })

  it.each([
    ['no body', undefined, 'bad_request'],
    ['no invitation_url', { primary: true }, 'bad_request'],
    ['a malformed URL', { invitation_url: 'not a url' }, 'invalid_invitation'],
    ['primary as a string', { invitation_url: 'http://m?oob=a', primary: 'false' }, 'invalid_primary'],
    ['a JSON array', [1], 'bad_request'],
    ['not JSON', '{"invitation_url":', 'invalid_json'],
    // Dropped, it would add the mediator as primary and drain the current one.
    ['primary misspelt', { invitation_url: 'http://m?oob=a', primery: false }, 'unknown_field'],
  ])('refuses to add with %s, saying what to send', async (_name, body, error) => {
    const response = await call('POST', '/mediators', body)
    expect(response.status).toBe(400)
    const json = await response.json()
    expect(json).toEqual({ error, detail: expect.any(String) })
    expect(control?.calls).toEqual([])
  })

  it('names the unknown field it refused', async () => {
    const response = await call('POST', '/mediators', { invitation_url: 'http://m?oob=a', primery: false })
    expect(await response.json()).toEqual({
      error: 'unknown_field',
      detail: 'Unknown field primery; send {"invitation_url": "...", "primary": true|false}.',
    })
    expect(control?.calls).toEqual([])
  })

  it('promotes, drains and removes by id, forced only with force=true', async () => {
    const promoted = await call('POST', '/mediators/m-2/promote')
    expect(promoted.status).toBe(200)
    expect(await promoted.json()).toMatchObject({
      change: { result: 'promoted', previousPrimaryId: 'm-1', agentsAnnouncedTo: 2 },
      mediators: control?.mediators,
    })
    expect((await call('POST', '/mediators/m-1/drain')).status).toBe(200)
    expect((await call('DELETE', '/mediators/m-1')).status).toBe(200)
    expect((await call('DELETE', '/mediators/m-1?force=true')).status).toBe(200)
    expect((await call('DELETE', '/mediators/m-1?force=false')).status).toBe(200)
    const announced = await call('POST', '/mediators/announce-route')
    expect(await announced.json()).toMatchObject({ agentsAnnouncedTo: 2 })
    expect(control?.calls).toEqual([
      'promote m-2',
      'drain m-1',
      'remove m-1 force=false',
      'remove m-1 force=true',
      'remove m-1 force=false',
      'announce',
    ])
  })

  it('refuses a malformed id or force before the module', async () => {
    const badId = await call('POST', `/mediators/${encodeURIComponent('<script>')}/promote`)
    expect(badId.status).toBe(400)
    const badIdBody = await badId.json()
    expect(badIdBody.error).toBe('invalid_mediator_id')
    expect(badIdBody.detail).toContain('GET /mediators')
    const badForce = await call('DELETE', '/mediators/m-2?force=maybe')
    expect(badForce.status).toBe(400)
    expect((await badForce.json()).error).toBe('invalid_force')
    expect(control?.calls).toEqual([])
  })

  it.each([
    [new MediatorNotFoundError('The proxy has no external mediator m-9'), 404, 'mediator_not_found'],
    [new MediatorChangeRefusedError('m-2 still holds 3 messages'), 409, 'mediator_change_refused'],
    [new SetupInProgressError('changing already'), 409, 'setup_in_progress'],
  ])('passes on %p as %i with its message', async (error, status, code) => {
    control!.error = error
    for (const [method, path] of [
      ['POST', '/mediators/m-9/promote'],
      ['POST', '/mediators/m-9/drain'],
      ['DELETE', '/mediators/m-9'],
    ]) {
      const response = await call(method, path)
      expect(response.status).toBe(status)
      expect(await response.json()).toEqual({ error: code, detail: error.message })
    }
  })

  it('answers 503 while the proxy starts', async () => {
    control = undefined
    const response = await call('GET', '/mediators')
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: 'starting' })
  })
})
