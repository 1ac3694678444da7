import { isIP } from 'node:net'

const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/

/** Why `host` is no address to bind, or undefined. All-numeric names must be IPv4 addresses. */
export function hostProblem(host: string): string | undefined {
  if (isIP(host)) return undefined
  if (/^[\d.]+$/.test(host)) return `'${host}' is not an IPv4 address (each of the four parts is 0 to 255).`
  if (HOSTNAME.test(host)) return undefined
  return `'${host}' is neither an IP address nor a host name. Use 0.0.0.0 for every interface, or 127.0.0.1.`
}
