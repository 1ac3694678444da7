import { PROXY_MEDIATOR_MODULES_DEFAULTS } from '@proxy-mediator/proxy-mediator'
import { parseCommandLine } from '../commandLine'
import { resolveConfig } from '../resolveConfig'
import { runnerOptions, shortProtocolName } from '../runnerOptions'

/**
 * The module's options that the runner leaves to the module, each with why: every other option of
 * the module is a runner option, so that a new module option is a decision, not an oversight.
 */
const NOT_EXPOSED: Record<string, string> = {
  reconnectBaseDelayMs: 'the first reconnect comes at once enough; its cap is --reconnect-max-delay',
  relayRetryBaseDelayMs: 'the first retry of a relay; its cap is --relay-retry-max-delay',
}

describe("the runner's options that set module options", () => {
  const moduleBacked = runnerOptions.filter((option) => option.module !== undefined)

  it("show and apply the module's own default, nothing restated", () => {
    for (const option of moduleBacked) {
      const value = PROXY_MEDIATOR_MODULES_DEFAULTS[option.module as keyof typeof PROXY_MEDIATOR_MODULES_DEFAULTS]
      const shown = Array.isArray(value) ? value.map(shortProtocolName).join(',') : value
      expect({ option: option.name, default: option.default }).toEqual({ option: option.name, default: shown })
    }
    const { module } = resolveConfig({
      flags: parseCommandLine(['--endpoint', 'http://proxy.internal:3000', '--wallet-key', 'k']),
      env: {},
    })
    for (const option of moduleBacked) {
      const name = option.module as keyof typeof module
      const expected = PROXY_MEDIATOR_MODULES_DEFAULTS[name as keyof typeof PROXY_MEDIATOR_MODULES_DEFAULTS]
      expect({ option: name, value: module[name] }).toEqual({
        option: name,
        value: Array.isArray(expected) ? [...expected] : expected,
      })
    }
  })

  it('cover every module option but the ones left to the module on purpose', () => {
    const exposed = new Set(moduleBacked.map((option) => option.module))
    const missing = Object.keys(PROXY_MEDIATOR_MODULES_DEFAULTS).filter(
      (name) => !exposed.has(name as never) && !(name in NOT_EXPOSED),
    )
    expect(missing).toEqual([])
    for (const name of Object.keys(NOT_EXPOSED)) expect(exposed.has(name as never)).toBe(false)
  })

  it('each set one module option', () => {
    const names = moduleBacked.map((option) => option.module)
    expect(new Set(names).size).toBe(names.length)
  })
})
