/** Endpoints and socket URLs compared as URLs (`ws://host:1` and `ws://host:1/` are one socket). */
export function normalizedUrl(url: string): string {
  try {
    return new URL(url).href
  } catch {
    return url
  }
}
