import { type MediatorsCommandIo, runMediatorsCommand } from '../mediatorsCommand'

// The admin CLI against a stand-in for the proxy: which request each command makes, what it prints
// and its exit status. The routes themselves are tested in http/__tests__/mediatorRoutes.test.ts.

function fakeIo(status = 200, text = '{"ok":true}', env: NodeJS.ProcessEnv = {}) {
  const sent: Array<{ url: string; method: string; headers: Record<string, string>; body?: string }> = []
  const out: string[] = []
  const err: string[] = []
  const io: MediatorsCommandIo = {
    send: async (url, init) => {
      sent.push({ url, ...init })
      return { status, text }
    },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env,
  }
  return { io, sent, out, err }
}

const URL_ARGS = ['--url', 'http://127.0.0.1:3000/', '--admin-api-key', 'k']

describe('proxy-mediator mediators', () => {
  it.each([
    [['list'], 'GET', '/mediators', undefined],
    [['add', 'http://m?oob=a'], 'POST', '/mediators', { invitation_url: 'http://m?oob=a', primary: true }],
    [['add', 'http://m?oob=a', '--primary'], 'POST', '/mediators', { invitation_url: 'http://m?oob=a', primary: true }],
    [
      ['add', 'http://m?oob=a', '--no-primary'],
      'POST',
      '/mediators',
      { invitation_url: 'http://m?oob=a', primary: false },
    ],
    [['promote', 'abc-1'], 'POST', '/mediators/abc-1/promote', undefined],
    [['drain', 'abc-1'], 'POST', '/mediators/abc-1/drain', undefined],
    [['remove', 'abc-1'], 'DELETE', '/mediators/abc-1', undefined],
    [['remove', 'abc-1', '--force'], 'DELETE', '/mediators/abc-1?force=true', undefined],
    [['announce-route'], 'POST', '/mediators/announce-route', undefined],
  ])('%j calls %s %s with the key and prints the answer', async (args, method, path, body) => {
    const { io, sent, out } = fakeIo()
    expect(await runMediatorsCommand([...args, ...URL_ARGS], io)).toBe(0)
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ url: `http://127.0.0.1:3000${path}`, method })
    expect(sent[0].headers['x-api-key']).toBe('k')
    expect(sent[0].body === undefined ? undefined : JSON.parse(sent[0].body)).toEqual(body)
    expect(out.join('')).toBe('{\n  "ok": true\n}\n')
  })

  it('takes the URL and the key from the environment', async () => {
    const { io, sent } = fakeIo(200, '{}', {
      PROXY_MEDIATOR_ADMIN_URL: 'http://proxy:3000',
      PROXY_MEDIATOR_ADMIN_API_KEY: 'from-env',
    })
    expect(await runMediatorsCommand(['list'], io)).toBe(0)
    expect(sent[0]).toMatchObject({ url: 'http://proxy:3000/mediators', headers: { 'x-api-key': 'from-env' } })
  })

  it('exits 1 with the refusal on stderr', async () => {
    const { io, out, err } = fakeIo(409, '{"error":"mediator_change_refused","detail":"it still holds 3 messages"}')
    expect(await runMediatorsCommand(['remove', 'abc-1', ...URL_ARGS], io)).toBe(1)
    expect(out).toEqual([])
    expect(err.join('')).toContain('answered 409')
    expect(err.join('')).toContain('it still holds 3 messages')
  })

  it.each([
    [[], 'Name a command'],
    [['list'], '--url: required'],
    [['list', '--url', 'nope'], 'is not a URL'],
    [['promote', ...URL_ARGS], 'Missing required argument: id'],
    [['explode', ...URL_ARGS], 'Unknown argument'],
  ])('exits 2 on %j, saying what is wrong', async (args, message) => {
    const { io, sent, err } = fakeIo()
    expect(await runMediatorsCommand(args, io)).toBe(2)
    expect(sent).toEqual([])
    expect(err.join('')).toContain(message)
  })
})
