/** The variables an egress proxy URL, and so its password, may come from. */
const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY']

/**
 * The passwords in the egress proxy URLs the runner may use (`--egress-proxy`, the proxy variables),
 * for the logger to scrub: the module never writes them, and this keeps a line that some library
 * writes from showing one either.
 */
export function egressSecrets(proxyUrl: string | null | undefined, env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = []
  for (const value of [proxyUrl, ...PROXY_VARIABLES.map((name) => env[name])]) {
    if (!value) continue
    try {
      const { password } = new URL(value)
      if (password) secrets.push(decodeURIComponent(password), password)
    } catch {
      // Not a URL: the module refuses it, and says so without its text.
    }
  }
  return [...new Set(secrets)]
}
