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
 * uses it, but the secrets (only whether they are set), the egress proxy's URL without its
 * credentials, the extra CAs by their number, and the external mediator's invitation, which is a
 * credential for that mediator too (only its host).
 */
export function configInEffect(config: RunnerConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(config)) {
    if (SECRET_FIELDS.has(field)) shown[field] = value === undefined ? undefined : SECRET_SET
    else if (field === 'mediatorInvitation' && typeof value === 'string')
      shown[field] = `${hostOf(value)} (query not shown)`
    else if (field === 'egress') shown[field] = egressShown(config.egress)
    // The module's options, each under its own name, as an operator sets them.
    else if (field === 'module') Object.assign(shown, config.module)
    else shown[field] = value
  }
  return shown
}

function egressShown({ proxyUrl, extraCaCertificates, ...rest }: RunnerConfig['egress']): Record<string, unknown> {
  return {
    ...rest,
    proxyUrl: typeof proxyUrl === 'string' ? withoutCredentials(proxyUrl) : proxyUrl,
    extraCaCertificates: extraCaCertificates ? `${extraCaCertificates.length} certificates` : undefined,
  }
}

/** `http://user:password@proxy:3128/` -> `http://(credentials not shown)@proxy:3128/` */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url)
    if (!parsed.username && !parsed.password) return parsed.href
    return `${parsed.protocol}//(credentials not shown)@${parsed.host}${parsed.pathname}`
  } catch {
    return 'not a URL'
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'not a URL'
  }
}
