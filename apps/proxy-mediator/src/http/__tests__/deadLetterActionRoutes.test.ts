import type { Server } from 'node:http'
import type { DeadLetterActor } from '@proxy-mediator/proxy-mediator'
import { proxyStatus } from '../../__tests__/support/statusFixtures'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import { serveTestApp } from './support/serveTestApp'

// POST /dead-letters/replay and /delete, in-process over a stand-in for the module that records
// what it was asked and by whom: the selections, their validation, the answers and `by`.

const KEY = 'admin-secret'

class RecordingDeadLetters {
  public calls: Array<{ call: string; by?: string }> = []
  private record<T>(call: string, actor: DeadLetterActor | undefined, answer: T): Promise<T> {
    this.calls.push({ call, by: actor?.by })
    return Promise.resolve(answer)
  }
  control(): ProxyMediatorControl {
    return {
      getStatus: () => proxyStatus({ status: 'ready' }),
      getDeadLetterPage: async () => ({ deadLetters: [] }),
      replayDeadLetters: (ids, actor) =>
        this.record(`replay ${ids.join(',')}`, actor, {
          replayed: ids.filter((id) => id !== 'dl-gone'),
          refused: ids.filter((id) => id === 'dl-gone').map((id) => ({ id, reason: 'no dead letter has this id' })),
        }),
      replayDeadLettersOf: (connectionId, actor) =>
        this.record(`replay-agent ${connectionId}`, actor, { replayed: ['dl-1', 'dl-2'], refused: [] }),
      deleteDeadLetters: (ids, actor) => this.record(`delete ${ids.join(',')}`, actor, ids.length),
      deleteAllDeadLetters: (options) =>
        this.record(`delete-all ${options?.connectionId ?? '(every agent)'}`, options, 7),
    } as Partial<ProxyMediatorControl> as ProxyMediatorControl
  }
}

describe.each([
  ['with an admin key', KEY, 'admin key from 127.0.0.1'],
  ['without an admin key', undefined, '127.0.0.1 (no admin key is set)'],
])('dead-letter actions through the API, %s', (_name, adminApiKey, by) => {
  let server: Server
  let baseUrl: string
  let recording: RecordingDeadLetters

  beforeEach(async () => {
    recording = new RecordingDeadLetters()
    const control = recording.control()
    ;({ server, baseUrl } = await serveTestApp(() => control, adminApiKey))
  })
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(adminApiKey ? { 'x-api-key': adminApiKey } : {}) },
      body: JSON.stringify(body),
    })

  it('relays again the named dead letters, or all of one agent’s, and says what became of each', async () => {
    const named = await post('/dead-letters/replay', { ids: ['dl-1', 'dl-gone'] })
    expect(named.status).toBe(200)
    expect(await named.json()).toEqual({
      replayed: ['dl-1'],
      refused: [{ id: 'dl-gone', reason: 'no dead letter has this id' }],
    })
    const ofAgent = await post('/dead-letters/replay', { connection_id: 'c-1' })
    expect(await ofAgent.json()).toEqual({ replayed: ['dl-1', 'dl-2'], refused: [] })
    expect(recording.calls).toEqual([
      { call: 'replay dl-1,dl-gone', by },
      { call: 'replay-agent c-1', by },
    ])
  })

  it('deletes the named ones, all of one agent’s, or all, and counts them', async () => {
    expect(await (await post('/dead-letters/delete', { ids: ['dl-1', 'dl-2'] })).json()).toEqual({ deleted: 2 })
    expect(await (await post('/dead-letters/delete', { connection_id: 'c-1' })).json()).toEqual({ deleted: 7 })
    expect(await (await post('/dead-letters/delete', { all: true })).json()).toEqual({ deleted: 7 })
    expect(recording.calls).toEqual([
      { call: 'delete dl-1,dl-2', by },
      { call: 'delete-all c-1', by },
      { call: 'delete-all (every agent)', by },
    ])
  })

  it.each([
    ['/dead-letters/replay', {}, 'invalid_selection'],
    ['/dead-letters/replay', { ids: ['dl-1'], connection_id: 'c-1' }, 'invalid_selection'],
    ['/dead-letters/replay', { all: true }, 'invalid_selection'],
    ['/dead-letters/replay', { ids: [] }, 'invalid_ids'],
    ['/dead-letters/replay', { ids: ['<script>'] }, 'invalid_ids'],
    ['/dead-letters/replay', { ids: 'dl-1' }, 'invalid_ids'],
    ['/dead-letters/replay', { connection_id: 42 }, 'invalid_connection_id'],
    ['/dead-letters/delete', { all: 'yes' }, 'invalid_all'],
    ['/dead-letters/delete', { all: true, ids: ['dl-1'] }, 'invalid_selection'],
    ['/dead-letters/delete', [1], 'bad_request'],
    ['/dead-letters/delete', { all: true, connectionId: 'c-1' }, 'unknown_field'],
  ])('refuses %s with %j as %s, before the module', async (path, body, error) => {
    const response = await post(path, body)
    expect(response.status).toBe(400)
    const json = (await response.json()) as { error: string; detail: string }
    expect(json.error).toBe(error)
    expect(json.detail.length).toBeGreaterThan(10)
    expect(recording.calls).toEqual([])
  })

  it('names a field it does not know, instead of acting on the rest of the body', async () => {
    // A misspelt connection_id beside all would otherwise delete every agent's dead letters.
    const response = await post('/dead-letters/delete', { all: true, connectionId: 'c-1' })
    expect(await response.json()).toEqual({
      error: 'unknown_field',
      detail: 'Unknown field connectionId; send {"ids": [...]}, {"connection_id": "..."} or {"all": true}.',
    })
    expect(recording.calls).toEqual([])
  })

  it('takes JSON only, and nothing from another site’s page', async () => {
    const form = await fetch(`${baseUrl}/dead-letters/delete`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(adminApiKey ? { 'x-api-key': adminApiKey } : {}),
      },
      body: 'all=true',
    })
    expect(form.status).toBe(415)
    const crossSite = await fetch(`${baseUrl}/dead-letters/delete`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'sec-fetch-site': 'cross-site',
        ...(adminApiKey ? { 'x-api-key': adminApiKey } : {}),
      },
      body: JSON.stringify({ all: true }),
    })
    expect(crossSite.status).toBe(403)
    expect(recording.calls).toEqual([])
  })
})
