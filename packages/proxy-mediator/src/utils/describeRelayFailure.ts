/**
 * Why a relay to an agent failed, in words an operator can act on: what was tried, against which
 * endpoint, and what to check. Node's errors say `connect ECONNREFUSED 10.0.0.5:8020`; the status
 * says `connection refused by http://10.0.0.5:8020: is the agent running and listening there?`.
 */
export function describeRelayFailure(endpoint: string, failure: { status: number } | unknown): string {
  if (failure && typeof failure === 'object' && 'status' in failure && typeof failure.status === 'number') {
    return `HTTP ${failure.status} from ${endpoint}`
  }
  const error = failure as Partial<NodeJS.ErrnoException> & { message?: string }
  const origin = originOf(endpoint)
  switch (error?.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${origin}: is the agent running and listening there?`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${hostOf(endpoint)} does not resolve: check the endpoint in the agent's DID document (${endpoint})`
    case 'ECONNRESET':
    case 'EPIPE':
      return `${origin} closed the connection before answering`
    case 'ETIMEDOUT':
      return `timeout: ${error.message ?? `no answer from ${origin}`}`
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${hostOf(endpoint)} is unreachable from the proxy: check the network and firewalls between them`
    default:
      if (typeof error?.code === 'string' && /CERT|SSL|TLS|UNABLE_TO_(VERIFY|GET_ISSUER)/.test(error.code)) {
        return `TLS with ${origin} failed (${error.code}): ${error.message}`
      }
      return `${error?.message ?? String(failure)} (${endpoint})`
  }
}

function originOf(endpoint: string): string {
  try {
    return new URL(endpoint).origin
  } catch {
    return endpoint
  }
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).hostname
  } catch {
    return endpoint
  }
}
