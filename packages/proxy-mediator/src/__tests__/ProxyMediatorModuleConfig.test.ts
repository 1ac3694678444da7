import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PROXY_MEDIATOR_DEFAULTS, ProxyMediatorModuleConfig } from '../ProxyMediatorModuleConfig'

/** The defaults, in one place: what the config applies, what its documentation says, what the runner shows. */
describe('PROXY_MEDIATOR_DEFAULTS', () => {
  it('is what a config with no options gives, option by option', () => {
    const config = new ProxyMediatorModuleConfig() as unknown as Record<string, unknown>
    for (const [name, value] of Object.entries(PROXY_MEDIATOR_DEFAULTS)) {
      expect({ name, value: config[name] }).toEqual({ name, value: Array.isArray(value) ? [...value] : value })
    }
  })

  it("is what each option's documentation says (its @default), so that the docs cannot drift", () => {
    const source = readFileSync(join(__dirname, '..', 'ProxyMediatorModuleConfig.ts'), 'utf8')
    const options = source.slice(source.indexOf('export interface ProxyMediatorModuleConfigOptions'))
    for (const [name, value] of Object.entries(PROXY_MEDIATOR_DEFAULTS)) {
      // The doc comment right before `name?:`, and the first word after its @default.
      const declared = new RegExp(`@default ([^\\s*]+)(?:(?!\\*/)[\\s\\S])*\\*/\\s*${name}\\?:`).exec(options)
      const documented = declared?.[1]
      const expected = Array.isArray(value)
        ? 'DEFAULT_AGENT_HANDSHAKE_PROTOCOLS'
        : typeof value === 'string'
          ? `'${value}'`
          : String(value)
      expect({ name, documented }).toEqual({ name, documented: expected })
    }
  })
})

describe('ProxyMediatorModuleConfig counts of at least 1', () => {
  it('refuses a relay concurrency or a hold limit that would stall the relay or never bound it', () => {
    for (const name of ['relayConcurrencyPerAgent', 'maxHeldInMemory'] as const) {
      for (const value of [0, -5, 2.5, Number.NaN]) {
        expect(() => new ProxyMediatorModuleConfig({ [name]: value })).toThrow(
          `${name} must be a whole number of at least 1, got ${value}`,
        )
      }
      expect(new ProxyMediatorModuleConfig({ [name]: 1 })[name]).toBe(1)
    }
  })
})
