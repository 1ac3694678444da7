import type { RunnerConfig } from './RunnerConfig'
import { runnerOptions } from './runnerOptions'

/** What a secret shows as: only whether it is set. */
export const SECRET_SET = '(set, not shown)'

/** `admin-api-key` -> `adminApiKey`: the field of RunnerConfig that holds an option's value. */
export function configFieldOf(optionName: string): string {
  return optionName.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
}

/** The fields of every option marked `secret` (the wallet key, the admin key). */
const SECRET_FIELDS = new Set(
  runnerOptions.filter((option) => option.secret).map((option) => configFieldOf(option.name)),
)

/**
 * The configuration in effect, for the operator's page and GET /about: every field as the runner
 * uses it, but the secrets (only whether they are set) and the external mediator's invitation,
 * which is a credential for that mediator too (only its host).
 */
export function configInEffect(config: RunnerConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(config)) {
    if (SECRET_FIELDS.has(field)) shown[field] = value === undefined ? undefined : SECRET_SET
    else if (field === 'mediatorInvitation' && typeof value === 'string')
      shown[field] = `${hostOf(value)} (query not shown)`
    else shown[field] = value
  }
  return shown
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'not a URL'
  }
}
