import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runnerOptions } from '../../config/runnerOptions'
import { renderOptionsReference } from '../renderOptionsReference'

describe('CONFIG.md', () => {
  const document = readFileSync(join(__dirname, '..', '..', '..', 'CONFIG.md'), 'utf8')

  it('holds the options reference as rendered from the yargs option definitions', () => {
    // If this fails, run: yarn workspace @proxy-mediator/runner docs:config
    expect(document).toContain(renderOptionsReference())
  })

  it('documents every option and every route', () => {
    for (const option of runnerOptions) expect(document).toContain(`\`--${option.name}\``)
    for (const route of [
      '/retrieve_agent_invitation',
      '/invitation',
      '/receive_mediator_invitation',
      '/mediator-invitation',
      '/status',
      '/health',
      '/ready',
      '/metrics',
      '/status/history',
      '/dead-letters',
      '/dead-letters/replay',
      '/dead-letters/delete',
      '/about',
      '/openapi.json',
      '/api-docs',
    ]) {
      expect(document).toContain(route)
    }
  })
})
