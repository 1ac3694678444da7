import { RunnerLogger } from '../../logging/RunnerLogger'
import { logReadyForSetUp } from '../logReadyForSetUp'

const INVITATION = 'http://proxy.internal:3000?oob=eyJAdHlwZSI6Imh0dHBzOi8vZGlkY29tbS5vcmcvb3V0LW9mLWJhbmQvMS4xIn0'

function linesAt(
  level: 'info' | 'debug',
  adminKeySet: boolean,
): Array<{ level: string; msg: string; invitationUrl?: string }> {
  const lines: string[] = []
  const logger = new RunnerLogger({ level, format: 'json', write: (line) => lines.push(line) })
  logReadyForSetUp(logger, {
    invitationUrl: INVITATION,
    status: 'init',
    endpoint: 'http://proxy.internal:3000',
    adminKeySet,
  })
  return lines.map((line) => JSON.parse(line))
}

describe('logReadyForSetUp: the agent invitation is a credential', () => {
  it('logs it at info when there is no admin key (anyone who reaches the port can take it anyway)', () => {
    const lines = linesAt('info', false)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'info', invitationUrl: INVITATION, status: 'init' })
  })

  it('keeps it out of info with an admin key, and says where to get it', () => {
    const lines = linesAt('info', true)
    expect(lines).toHaveLength(1)
    expect(lines[0].level).toBe('info')
    expect(lines[0].msg).toContain('GET /invitation')
    expect(JSON.stringify(lines)).not.toContain('oob=')
  })

  it('logs it at debug with an admin key, for an operator who asks for debug', () => {
    const lines = linesAt('debug', true)
    expect(lines.map((line) => line.level)).toEqual(['info', 'debug'])
    expect(lines[1].invitationUrl).toBe(INVITATION)
    expect(lines[0].invitationUrl).toBeUndefined()
  })
})
