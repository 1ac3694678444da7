import { parseHandshakeProtocols } from '../parseHandshakeProtocols'

describe('parseHandshakeProtocols', () => {
  it('turns short names and either prefix into full protocol URIs, in the order given, without repeats', () => {
    expect(
      parseHandshakeProtocols(
        'didexchange/1.0, did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/connections/1.0,https://didcomm.org/didexchange/1.1,didexchange/1.0',
      ),
    ).toEqual({
      protocols: [
        'https://didcomm.org/didexchange/1.0',
        'https://didcomm.org/connections/1.0',
        'https://didcomm.org/didexchange/1.1',
      ],
    })
  })

  it('refuses an unknown handshake, naming it and the ones that work', () => {
    const result = parseHandshakeProtocols('didexchange/1.1,didexchange/2.0')
    expect(result).toEqual({ problem: expect.stringContaining("'didexchange/2.0' is not a handshake") })
    expect((result as { problem: string }).problem).toContain('connections/1.0')
  })

  it('refuses an empty list', () => {
    expect(parseHandshakeProtocols(' , ')).toEqual({ problem: expect.stringContaining('at least one') })
  })
})
