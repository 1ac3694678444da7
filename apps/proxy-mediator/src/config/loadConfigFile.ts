import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { ConfigError } from './ConfigError'

/** `walletKey` and `wallet_key` are accepted too, so a file written by hand is forgiving. */
export function toOptionName(key: string): string {
  return key
    .replace(/_/g, '-')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
}

/**
 * Reads a YAML or JSON config file (YAML 1.2 is a superset of JSON, so one parser reads both)
 * and returns its settings keyed by option name.
 */
export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError([
      {
        field: 'config',
        message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Check the path given with --config or PROXY_MEDIATOR_CONFIG.`,
      },
    ])
  }

  let parsed: unknown
  try {
    parsed = parseYaml(text)
  } catch (error) {
    throw new ConfigError([
      { field: 'config', message: `${path} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}` },
    ])
  }

  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([{ field: 'config', message: `${path} must contain a mapping of option names to values.` }])
  }

  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    settings[toOptionName(key)] = value
  }
  return settings
}
