import { html } from './html'
import { type Notice, renderNotice, renderPageLayout } from './renderPageLayout'

/**
 * The sign-in form, shown instead of the page while the admin key is set and the browser has no
 * session. The key field is never filled in again, so the key is never in a page.
 */
export function renderSignInPage(notice?: Notice): string {
  return renderPageLayout(
    'Sign in: proxy mediator',
    html`<main class="sign-in">
  <h1>Proxy mediator</h1>
  ${renderNotice(notice)}
  <form method="post" action="/ui/sign-in" class="card">
    <h2>Sign in</h2>
    <p>This proxy has an admin API key (<code>--admin-api-key</code>). Enter it to open the operator's page.</p>
    <label for="admin-api-key">Admin API key</label>
    <input id="admin-api-key" name="admin_api_key" type="password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
</main>`,
  )
}
