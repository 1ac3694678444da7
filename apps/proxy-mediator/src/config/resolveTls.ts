import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import type { ConfigIssue } from './ConfigError'
import type { RunnerConfig } from './RunnerConfig'

/** The TLS pair, checked now so that a wrong file is a config error (exit 2), not a failure at the first handshake. */
export function resolveTls(
  certFile: string | undefined,
  keyFile: string | undefined,
  issues: ConfigIssue[],
): RunnerConfig['tls'] {
  if (certFile === undefined && keyFile === undefined) return undefined
  if (certFile === undefined || keyFile === undefined) {
    issues.push({
      field: certFile === undefined ? 'tls-cert' : 'tls-key',
      message: 'required with the other: give both --tls-cert and --tls-key, or neither for plain HTTP.',
    })
    return undefined
  }
  const read = (field: string, path: string) => {
    try {
      return readFileSync(path)
    } catch (error) {
      issues.push({
        field,
        message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      })
      return undefined
    }
  }
  const cert = read('tls-cert', certFile)
  const key = read('tls-key', keyFile)
  if (!cert || !key) return undefined
  try {
    createSecureContext({ cert, key })
  } catch (error) {
    issues.push({
      field: 'tls-cert',
      message: `${certFile} and ${keyFile} are not a PEM certificate and its private key: ${(error as Error).message}.`,
    })
    return undefined
  }
  return { certFile, keyFile }
}
