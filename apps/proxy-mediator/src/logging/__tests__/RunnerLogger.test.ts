import { RunnerLogger } from '../RunnerLogger'
import { REDACTED, redact } from '../redact'

function capture(options: Partial<ConstructorParameters<typeof RunnerLogger>[0]> = {}) {
  const lines: string[] = []
  const logger = new RunnerLogger({ level: 'debug', format: 'json', write: (line) => lines.push(line), ...options })
  return { logger, lines }
}

describe('redact', () => {
  it('hides keys, seeds and message contents at any depth, keeping public data', () => {
    const input = {
      walletConfig: { id: 'w', key: 'wallet-key-value', keyDerivationMethod: 'ARGON2I_MOD' },
      wallet_key: 'x',
      seed: '000000000000000000000000Steward1',
      privateKey: new Uint8Array([1, 2]),
      nested: [{ message: { '@type': 'basicmessage', content: 'hello' } }],
      msg: 'ciphertext',
      plaintextMessage: {},
      recipientKey: 'did:key:z6Mk',
      routingKeys: ['did:key:z6Mk2'],
      count: 3,
    }
    expect(redact(input)).toEqual({
      walletConfig: { id: 'w', key: REDACTED, keyDerivationMethod: 'ARGON2I_MOD' },
      wallet_key: REDACTED,
      seed: REDACTED,
      privateKey: REDACTED,
      nested: [{ message: REDACTED }],
      msg: REDACTED,
      plaintextMessage: REDACTED,
      recipientKey: 'did:key:z6Mk',
      routingKeys: ['did:key:z6Mk2'],
      count: 3,
    })
  })

  it('scrubs known secret values from strings and errors, and survives cycles', () => {
    const cyclic: Record<string, unknown> = { note: 'opened with hunter2-key' }
    cyclic.self = cyclic
    const error = new Error('bad key hunter2-key')
    expect(redact({ cyclic, error }, ['hunter2-key'])).toEqual({
      cyclic: { note: `opened with ${REDACTED}`, self: '[circular]' },
      error: expect.objectContaining({ name: 'Error', message: `bad key ${REDACTED}` }),
    })
  })
})

describe('RunnerLogger', () => {
  it('writes one JSON object per line with level, message and redacted data', () => {
    const { logger, lines } = capture({ secrets: ['s3cret-wallet-key'] })
    logger.info('Opening wallet with s3cret-wallet-key', { walletConfig: { id: 'proxy', key: 's3cret-wallet-key' } })
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toContain('s3cret-wallet-key')
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'info',
      msg: `Opening wallet with ${REDACTED}`,
      walletConfig: { id: 'proxy', key: REDACTED },
      time: expect.any(String),
    })
  })

  it('drops lines below the configured level and logs nothing when off', () => {
    const { logger, lines } = capture({ level: 'warn' })
    logger.debug('hidden')
    logger.info('hidden')
    logger.warn('shown')
    logger.error('shown too')
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['shown', 'shown too'])

    const off = capture({ level: 'off' })
    off.logger.fatal('nothing')
    expect(off.lines).toEqual([])
  })

  it('writes readable lines in pretty format', () => {
    const { logger, lines } = capture({ format: 'pretty' })
    logger.warn('Relay failed', { endpoint: 'http://agent:8000', message: 'secret body' })
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}Relay failed \{"endpoint":"http:\/\/agent:8000","message":"\[redacted\]"\}$/,
    )
  })
})
