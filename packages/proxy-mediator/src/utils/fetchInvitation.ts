import { InvalidInvitationError } from '../errors/InvalidInvitationError'
import { invitationUrlProblem } from './invitationUrlProblem'

export interface InvitationFetchLimits {
  /** The whole fetch, redirects and body included, ends by then. */
  timeoutMs: number
  /** A larger body is not read. Invitations are a few KB. */
  maxBytes: number
  /** More redirects than this are not followed. */
  maxRedirects: number
}

/** Invitations are a few KB, and reached in a redirect or two. */
export const INVITATION_BODY_LIMITS = { maxBytes: 64 * 1024, maxRedirects: 3 } as const

/** The query parameters that carry an invitation in the URL itself (Credo parses those without fetching). */
const INLINE_PARAMETERS = ['oob', 'c_i', 'd_m']
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * An invitation URL that Credo's parser reads without fetching anything. What is not a URL is
 * refused in the words of `invitationUrlProblem`. A URL that carries the invitation (`oob=`,
 * `c_i=`, `d_m=`) is returned as it is. A short URL is fetched here, bounded:
 * one deadline for the whole fetch, body included (a server that trickles its body held the
 * proxy's change lock for minutes through Credo's fetch, which times out the headers only), a byte
 * cap checked as the body comes in (a 400 MB body was read whole), a few redirects, over http(s)
 * only and never from https down to http. A redirect to a URL that carries the invitation (a deep
 * link) ends the fetch there; a JSON body is returned re-encoded as `?oob=`.
 */
export async function resolveInvitationUrl(
  invitationUrl: string,
  limits: InvitationFetchLimits,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  let url = parseUrl(invitationUrl)
  if (carriesInvitation(url)) return invitationUrl
  const deadline = AbortSignal.timeout(limits.timeoutMs)
  try {
    for (let redirects = 0; ; redirects++) {
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new InvalidInvitationError(`${describe(url)}: only http and https invitation URLs are fetched`)
      }
      const response = await fetchImpl(url, {
        redirect: 'manual',
        signal: deadline,
        headers: { accept: 'application/json' },
      })
      const location = response.headers.get('location')
      if (REDIRECTS.has(response.status) && location) {
        await response.body?.cancel()
        const next = new URL(location, url)
        if (carriesInvitation(next)) return next.href
        if (redirects >= limits.maxRedirects) {
          throw new InvalidInvitationError(`${describe(url)}: more than ${limits.maxRedirects} redirects`)
        }
        if (url.protocol === 'https:' && next.protocol === 'http:') {
          throw new InvalidInvitationError(`${describe(url)}: a redirect from https to http is not followed`)
        }
        url = next
        continue
      }
      if (!response.ok) {
        await response.body?.cancel()
        throw new InvalidInvitationError(`${describe(url)} answered HTTP ${response.status}`)
      }
      return inlineJsonInvitation(url, await readCapped(response, limits.maxBytes, url))
    }
  } catch (error) {
    if (error instanceof InvalidInvitationError) throw error
    if (deadline.aborted) {
      throw new InvalidInvitationError(`${describe(url)}: the invitation did not come within ${limits.timeoutMs} ms`)
    }
    throw new InvalidInvitationError(`${describe(url)}: cannot fetch the invitation: ${(error as Error).message}`)
  }
}

/** The URL, after the module's one check of an invitation URL, in its words. */
function parseUrl(value: string): URL {
  const problem = invitationUrlProblem(value)
  if (problem) throw new InvalidInvitationError(problem)
  return new URL(value)
}

function carriesInvitation(url: URL): boolean {
  return INLINE_PARAMETERS.some((name) => url.searchParams.has(name))
}

/** Where an invitation came from, for a message: never its query, which may be the invitation itself. */
function describe(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

async function readCapped(response: Response, maxBytes: number, url: URL): Promise<string> {
  const tooLarge = () => new InvalidInvitationError(`${describe(url)}: the body is larger than ${maxBytes} bytes`)
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel()
    throw tooLarge()
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function inlineJsonInvitation(url: URL, body: string): string {
  let invitation: unknown
  try {
    invitation = JSON.parse(body)
  } catch {
    throw new InvalidInvitationError(`${describe(url)} answered with no invitation (not JSON, and no redirect)`)
  }
  if (!invitation || typeof invitation !== 'object' || Array.isArray(invitation)) {
    throw new InvalidInvitationError(`${describe(url)} answered JSON that is no invitation`)
  }
  const inline = new URL(describe(url))
  inline.searchParams.set('oob', Buffer.from(JSON.stringify(invitation)).toString('base64url'))
  return inline.href
}
