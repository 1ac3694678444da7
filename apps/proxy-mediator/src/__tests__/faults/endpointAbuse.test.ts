import { TypedArrayEncoder } from '@credo-ts/core'
import { loadSodium, packDidcommV1 } from '@proxy-mediator/portable-wallet'
import { report, useProcessTopology } from './support/processTopology'

// Abuse of the DIDComm endpoint (POST /): each request gets a 4xx, or a 2xx with the message
// dropped and a log line; the process keeps serving and relaying.
const MAX_BODY_BYTES = 64 * 1024
const DIDCOMM = 'application/didcomm-envelope-enc'

async function post(baseUrl: string, body: string, contentType = DIDCOMM) {
  const response = await fetch(`${baseUrl}/`, { method: 'POST', headers: { 'content-type': contentType }, body })
  return { status: response.status, text: await response.text() }
}

/** A well-formed DIDComm v1 envelope (anoncrypt) for a fresh random key that the proxy does not hold. */
async function envelopeForUnknownKey(): Promise<string> {
  const sodium = await loadSodium()
  const { publicKey } = sodium.crypto_sign_keypair()
  const envelope = packDidcommV1(
    { '@type': 'https://didcomm.org/routing/1.0/forward', '@id': 'abuse-1', to: 'did:key:z6Mkunknown', msg: {} },
    [TypedArrayEncoder.toBase58(publicKey)],
    (verkey) => sodium.crypto_sign_ed25519_pk_to_curve25519(TypedArrayEncoder.fromBase58(verkey)),
  )
  return JSON.stringify(envelope)
}

describe('fault: abuse of the DIDComm endpoint', () => {
  const useTopology = useProcessTopology({ runnerArgs: ['--max-body-size', String(MAX_BODY_BYTES)] })

  const malformed: Array<[string, () => string | Promise<string>]> = [
    ['garbage bytes', () => 'not json at all \u0000\u0001\u00ff'],
    ['an empty body', () => ''],
    ['invalid JSON', () => '{"protected": "eyJ'],
    ['JSON that is not an envelope', () => JSON.stringify({ hello: 'world' })],
    ['a JSON array', () => JSON.stringify([1, 2, 3])],
    ['an envelope with missing parts', () => JSON.stringify({ protected: 'e30', iv: 'AAAA' })],
  ]

  it.each(malformed)('answers %s with 400 JSON and no stack trace', async (_name, makeBody) => {
    const topology = useTopology()
    const { status, text } = await post(topology.proxy.baseUrl, await makeBody())
    expect(status).toBe(400)
    const body = JSON.parse(text)
    expect(body).toEqual({ error: expect.any(String), detail: expect.any(String) })
    expect(text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/)
  })

  it('answers an oversized envelope with 413 JSON', async () => {
    const topology = useTopology()
    const { status, text } = await post(
      topology.proxy.baseUrl,
      JSON.stringify({ protected: 'e30', iv: 'a', ciphertext: 'x'.repeat(MAX_BODY_BYTES + 1), tag: 'a' }),
    )
    expect(status).toBe(413)
    expect(JSON.parse(text)).toMatchObject({ error: 'payload_too_large' })
    expect(text).not.toMatch(/\n\s+at /)
  })

  it('answers a non-DIDComm content type with 415', async () => {
    const topology = useTopology()
    const { status } = await post(topology.proxy.baseUrl, JSON.stringify({ hello: 'world' }), 'text/plain')
    expect(status).toBe(415)
  })

  it('answers an envelope for a key the proxy does not hold with 400 at once', async () => {
    const topology = useTopology()
    const { status, text } = await post(topology.proxy.baseUrl, await envelopeForUnknownKey())
    expect(status).toBe(400)
    expect(JSON.parse(text)).toEqual({ error: 'unknown_recipient', detail: expect.any(String) })
    report('unknown-key envelope', { status })
  })

  it('keeps serving: /health is 200 and a normal message is still relayed', async () => {
    const topology = useTopology()
    // The same abuse, all at once, then normal traffic.
    const bodies = await Promise.all(malformed.map(([, makeBody]) => makeBody()))
    const statuses = await Promise.all(
      [...bodies, await envelopeForUnknownKey()].map((body) => post(topology.proxy.baseUrl, body)),
    )
    // 400 for each malformed body and for the unknown-key envelope.
    expect(statuses.map(({ status }) => status)).toEqual([...malformed.map(() => 400), 400])

    const health = await topology.proxy.getJson('/health')
    expect(health).toEqual({ status: 200, body: { status: 'ok' } })
    expect(topology.proxy.child.exitCode).toBeNull()

    const expected = await topology.stream('after-abuse', 3)
    const delivered = await topology.waitForDelivery(expected, 60_000)
    expect(delivered.unique).toBe(3)
    report('DIDComm endpoint abuse', {
      statuses: statuses.map(({ status }) => status),
      relayedAfter: delivered.unique,
    })
  }, 120_000)
})
