import { SESSION_COOKIE } from '../../sessionCookie'

/** The session cookie a response set, as a Cookie header to send back, and the Set-Cookie it came in. */
export const sessionCookieOf = (response: Response) => {
  const cookie = response.headers.get('set-cookie') ?? ''
  const match = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(cookie)
  if (!match) throw new Error(`no session cookie in ${JSON.stringify(cookie)}`)
  return { cookie: `${SESSION_COOKIE}=${match[1]}`, header: cookie }
}

/** The CSRF token of the first form of a page. */
export const csrfTokenIn = (page: string) => {
  const match = /name="csrf_token" value="([^"]+)"/.exec(page)
  if (!match) throw new Error('no CSRF token in the page')
  return match[1]
}

/** Posts a form as a browser would, without following the redirect. */
export const postForm = (url: string, fields: Record<string, string> | URLSearchParams, cookie?: string) =>
  fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  })
