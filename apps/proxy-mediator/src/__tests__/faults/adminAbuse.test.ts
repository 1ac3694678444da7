import { report, useProcessTopology } from './support/processTopology'

// 100 concurrent malformed requests to the admin routes: every one gets a 4xx with a JSON error
// body, the process stays up, and /health is 200 afterwards. 10 of them give a wrong key: the
// limit on wrong keys per address (10 by default) holds the address off afterwards.
const API_KEY = 'fault-suite-admin-key'
const MAX_BODY_BYTES = 16 * 1024

type Abuse = { name: string; init: RequestInit; path?: string }

const route = '/receive_mediator_invitation'
const json = (body: string, apiKey: string | null = API_KEY): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
  body,
})

const abuses: Abuse[] = [
  { name: 'bad JSON', init: json('{"invitation_url": ') },
  { name: 'missing invitation_url', init: json('{}') },
  { name: 'invitation_url not a string', init: json('{"invitation_url": 42}') },
  { name: 'not a URL', init: json('{"invitation_url": "not a url"}') },
  {
    name: 'huge body',
    init: json(JSON.stringify({ invitation_url: `https://x.example/?oob=${'a'.repeat(MAX_BODY_BYTES)}` })),
  },
  { name: 'wrong api key', init: json('{"invitation_url": "https://x.example/?oob=e30"}', 'wrong-key') },
  { name: 'no api key', init: json('{"invitation_url": "https://x.example/?oob=e30"}', null) },
  { name: 'a JSON array', init: json('[]') },
  {
    name: 'an invitation URL that is no invitation',
    init: json('{"invitation_url": "https://x.example/?oob=garbage"}'),
    path: '/mediator-invitation',
  },
  { name: 'binary garbage', init: json('\u0000\u0001\u0002\u00ff') },
]

describe('fault: 100 concurrent malformed admin requests', () => {
  const useTopology = useProcessTopology({
    proxyOnly: true,
    adminApiKey: API_KEY,
    runnerArgs: ['--max-body-size', String(MAX_BODY_BYTES)],
  })

  it('answers each with a 4xx JSON error and keeps serving', async () => {
    const topology = useTopology()
    const requests = Array.from({ length: 100 }, (_, index) => abuses[index % abuses.length])
    const answers = await Promise.all(
      requests.map(async ({ name, init, path }) => {
        const response = await fetch(`${topology.proxy.adminUrl}${path ?? route}`, init)
        const text = await response.text()
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          body = text
        }
        return { name, status: response.status, body, text }
      }),
    )
    for (const answer of answers) {
      expect({ name: answer.name, is4xx: answer.status >= 400 && answer.status < 500 }).toEqual({
        name: answer.name,
        is4xx: true,
      })
      expect(answer.body).toEqual({ error: expect.any(String), detail: expect.any(String) })
      expect(answer.text).not.toMatch(/\n\s+at /)
    }
    const byCase = Object.fromEntries(abuses.map(({ name }) => [name, answers.find((a) => a.name === name)?.status]))
    expect(byCase).toEqual({
      'bad JSON': 400,
      'missing invitation_url': 400,
      'invitation_url not a string': 400,
      'not a URL': 400,
      'huge body': 413,
      'wrong api key': 401,
      'no api key': 401,
      'a JSON array': 400,
      'an invitation URL that is no invitation': 400,
      'binary garbage': 400,
    })

    expect(topology.proxy.child.exitCode).toBeNull()
    expect(await topology.proxy.getJson('/health')).toEqual({ status: 200, body: { status: 'ok' } })
    // The 10 wrong keys reached --max-admin-key-failures (10): this address is held off now, even
    // with the right key, until its window ends; what is open stays open to it.
    const held = await fetch(`${topology.proxy.adminUrl}/status`, { headers: { 'x-api-key': API_KEY } })
    expect(held.status).toBe(429)
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await held.json()).toEqual({ error: 'too_many_attempts', detail: expect.any(String) })
    const status = await fetch(`${topology.proxy.adminUrl}/status`)
    expect(await status.json()).toEqual({ status: 'init' })
    report('100 malformed admin requests', { ...byCase, rightKeyAfterTenWrongOnes: held.status })
  }, 60_000)
})
