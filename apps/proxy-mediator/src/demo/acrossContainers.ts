#!/usr/bin/env node
/**
 * The `setup` service of docker/docker-compose.yml: the demo across containers, one per role.
 * It does what an integration script does, over the network only: the mediator's invitation
 * from the mediator role's control API, `POST /receive_mediator_invitation` and
 * `GET /retrieve_agent_invitation` on the proxy, the agent told to use it, the sender connected
 * to the agent through the mediated invitation, then N messages. Ends with
 * `delivered N/N messages` (exit 0), or says what is missing (exit 1).
 *
 * Env: PROXY (the admin listener, http://proxy:3001), MEDIATOR_CONTROL, AGENT_CONTROL, SENDER_CONTROL (http://<role>:4000),
 * MESSAGES (20), PROXY_MEDIATOR_ADMIN_API_KEY (when the proxy has one), TIMEOUT_MS (180000).
 */
const env = (name: string, fallback?: string) => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`${name} must be set`)
  return value
}
const proxy = env('PROXY', 'http://proxy:3001')
const messages = Number(env('MESSAGES', '20'))
const deadline = Date.now() + Number(env('TIMEOUT_MS', '180000'))
const adminKey = process.env.PROXY_MEDIATOR_ADMIN_API_KEY
const step = (text: string) => process.stdout.write(`• ${text}\n`)

async function call<T>(url: string, body?: unknown, method = 'POST'): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(adminKey ? { 'x-api-key': adminKey } : {}) },
    body: method === 'POST' ? JSON.stringify(body ?? null) : undefined,
  })
  const answer = (await response.json()) as { ok?: boolean; result?: T; error?: string } & T
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(answer)}`)
  return 'result' in answer ? (answer.result as T) : answer
}

/** A role's control API command. */
const role = <T>(name: string, command: string, args?: unknown) => call<T>(`${env(name)}/${command}`, args)

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

async function main() {
  step('waiting for the mediator, agent and sender roles and for the proxy')
  for (const name of ['MEDIATOR_CONTROL', 'AGENT_CONTROL', 'SENDER_CONTROL']) {
    await until(name, async () => ((await fetch(`${env(name)}/ready`)).ok ? true : undefined))
  }
  await until('the proxy', async () => ((await fetch(`${proxy}/health`)).ok ? true : undefined))

  step('POST /receive_mediator_invitation with the external mediator invitation')
  const invitationUrl = await role<string>('MEDIATOR_CONTROL', 'invitation')
  await call(`${proxy}/receive_mediator_invitation`, { invitation_url: invitationUrl })
  await until('the proxy to be ready', async () =>
    (await call<{ status: string }>(`${proxy}/status`, undefined, 'GET')).status === 'ready' ? true : undefined,
  )

  step('GET /retrieve_agent_invitation; the agent accepts it and requests mediation')
  const { invitation_url } = await call<{ invitation_url: string }>(
    `${proxy}/retrieve_agent_invitation`,
    undefined,
    'GET',
  )
  await role('AGENT_CONTROL', 'useProxy', invitation_url)

  step('the sender connects to the agent through its mediated invitation')
  await role('SENDER_CONTROL', 'connect', await role<string>('AGENT_CONTROL', 'mediatedInvitation'))

  step(`sending ${messages} messages across the containers: sender -> mediator -> proxy -> agent`)
  const prefix = `across-containers-${Date.now()}`
  await role('SENDER_CONTROL', 'stream', { prefix, count: messages })
  const delivered = await until(`${messages} deliveries`, async () => {
    const received = new Set((await role<string[]>('AGENT_CONTROL', 'received')).filter((c) => c.startsWith(prefix)))
    return received.size >= messages ? received.size : undefined
  })
  process.stdout.write(`delivered ${delivered}/${messages} messages\n`)
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`across containers: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
