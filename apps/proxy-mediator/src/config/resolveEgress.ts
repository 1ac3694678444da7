import { readFileSync } from 'node:fs'
import { parseProxyUrl } from '@proxy-mediator/proxy-mediator'
import type { ConfigIssue } from './ConfigError'
import type { RunnerConfig } from './RunnerConfig'

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** The module's egress from `egress-proxy`, `no-proxy` and `upstream-ca-file`; unset ones leave the environment to decide. */
export function resolveEgress(
  proxy: string | undefined,
  noProxy: string | undefined,
  caFile: string | undefined,
  issues: ConfigIssue[],
): RunnerConfig['egress'] {
  const egress: RunnerConfig['egress'] = {}
  if (proxy !== undefined) {
    if (proxy.trim().toLowerCase() === 'none') egress.proxyUrl = null
    else {
      try {
        egress.proxyUrl = parseProxyUrl(proxy.trim()).href
      } catch (error) {
        issues.push({ field: 'egress-proxy', message: `${(error as Error).message}.` })
      }
    }
  }
  if (noProxy !== undefined) egress.noProxy = noProxy
  if (caFile !== undefined) {
    let text: string | undefined
    try {
      text = readFileSync(caFile, 'utf8')
    } catch (error) {
      issues.push({
        field: 'upstream-ca-file',
        message: `cannot read ${caFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      })
    }
    const certificates = text?.match(PEM_CERTIFICATE) ?? []
    if (text !== undefined && certificates.length === 0) {
      issues.push({
        field: 'upstream-ca-file',
        message: `${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`,
      })
    }
    egress.extraCaCertificates = certificates
    egress.caFile = caFile
  }
  return egress
}
