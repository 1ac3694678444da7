import { hideCredentials, redactProxyUrl } from './egressProxyFor'

/** OpenSSL's and Node's codes for a certificate that does not verify. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
])

/**
 * What went wrong on an outbound connection, in words an operator can act on: the certificate
 * problem and where to give the CA, the proxy that refused, or the address that could not be
 * reached and that a proxy may be needed. fetch hides the cause behind 'fetch failed'; it is dug out.
 * Proxy credentials never appear.
 */
export function describeEgressFailure(target: URL, error: unknown, proxy: URL | undefined): string {
  const cause = innermostCause(error)
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  const where = `${target.protocol}//${target.host}`
  const through = proxy ? ` through the egress proxy ${redactProxyUrl(proxy)}` : ''
  const reason = hideCredentials((cause as Error | undefined)?.message ?? String(error))
  if (code && CERTIFICATE_CODES.has(code)) {
    return `the TLS certificate of ${where} does not verify (${code}: ${reason}). If a private or company CA signed it, give that CA: the module's egress.extraCaCertificates (the runner's --upstream-ca-file) or NODE_EXTRA_CA_CERTS`
  }
  if (/proxy/i.test(reason) || (proxy && /tunnel|CONNECT|407|403/.test(reason))) {
    return `the egress proxy ${proxy ? redactProxyUrl(proxy) : ''} did not open a tunnel to ${where}: ${reason}`
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    const hint = proxy
      ? ''
      : '. If this network reaches the internet only through an HTTP proxy, set HTTPS_PROXY (or the egress proxy option)'
    return `cannot connect to ${where}${through} (${code}: ${reason})${hint}`
  }
  return `${where}${through}: ${code ? `${code}: ` : ''}${reason}`
}

function innermostCause(error: unknown): unknown {
  let current = error
  for (let depth = 0; depth < 5; depth++) {
    const next = (current as { cause?: unknown } | undefined)?.cause
    if (!next) break
    current = next
  }
  // AggregateError (a name with several addresses): its first error says enough.
  const errors = (current as { errors?: unknown[] } | undefined)?.errors
  return Array.isArray(errors) && errors.length > 0 ? errors[0] : current
}
