import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import type { RunnerFacts } from '../../runner/RunnerFacts'
import { type SafeHtml, html } from './html'
import { renderAboutSection } from './renderAboutSection'
import { type DeadLettersView, renderDeadLettersSection } from './renderDeadLettersSection'
import { type HistoryView, renderHistorySection } from './renderHistorySection'
import { type LiveRegionName, renderLiveRegions } from './renderLiveRegions'
import { type Notice, renderNotice, renderPageLayout } from './renderPageLayout'

export type AgentInvitationView = { url: string; qrCode: SafeHtml } | { error: string }

export interface OperatorPageView {
  /** Undefined while the proxy starts. */
  status: ProxyMediatorStatus | undefined
  invitation: AgentInvitationView
  csrfToken: string
  /** With an admin key there is a session to end; without one there is nothing to sign out of. */
  signedIn: boolean
  notice?: Notice
  history: HistoryView
  deadLetters: DeadLettersView
  facts: RunnerFacts
}

/**
 * The operator's page. Everything in it comes from the module (`getStatus()`, `getAgentInvitation()`,
 * `getDeadLetterPage()`) and the runner (its history and facts); it reads complete without
 * JavaScript, and the script only keeps the live regions current.
 */
export function renderOperatorPage(view: OperatorPageView): string {
  const regions = renderLiveRegions(view.status, view.csrfToken)
  const live = (name: LiveRegionName) => html`<div data-live-region="${name}">${regions[name]}</div>`
  return renderPageLayout(
    'Proxy mediator: operator\u2019s page',
    html`<header class="page-header">
  <h1>Proxy mediator</h1>
  <p class="live-state" data-testid="live-state" aria-live="polite">Live updates need JavaScript; reload to refresh.</p>
  ${view.signedIn ? renderSignOut(view.csrfToken) : ''}
</header>
<main>
  ${renderNotice(view.notice)}
  ${card('state', 'State', live('state'))}
  ${card('counters', 'Relay counters', html`${live('counters')}${renderSparkline()}`)}
  ${card('history', 'The last hour', html`<div data-live-region="history">${renderHistorySection(view.history)}</div>`)}
  ${card('mediators', 'External mediators', live('mediators'))}
  ${card('agents', 'Agents', live('agents'))}
  ${card('dead-letters', 'Dead letters', renderDeadLettersSection(view.deadLetters, view.csrfToken))}
  ${card('invitation', 'Agent invitation', renderInvitation(view.invitation))}
  ${card('setup', 'Give the external mediator\u2019s invitation', renderMediatorInvitationForm(view.csrfToken))}
  ${card('about', 'About this proxy', renderAboutSection(view.facts))}
</main>`,
  )
}

/** Empty here: the script draws it from the relayed counter of each live update. */
function renderSparkline(): SafeHtml {
  return html`<figure class="throughput">
    <svg class="sparkline" data-sparkline viewBox="0 0 120 32" preserveAspectRatio="none" role="img" aria-labelledby="sparkline-caption">
      <polyline data-sparkline-line points=""></polyline>
    </svg>
    <figcaption id="sparkline-caption">Relayed per second, last 2 minutes: <span data-testid="throughput">needs JavaScript</span></figcaption>
  </figure>`
}

/** A titled section of the page, named by its heading for screen readers. */
function card(name: string, title: string, content: SafeHtml): SafeHtml {
  return html`<section aria-labelledby="${name}-heading" class="card">
    <h2 id="${name}-heading">${title}</h2>
    ${content}
  </section>`
}

function renderInvitation(invitation: AgentInvitationView): SafeHtml {
  if ('error' in invitation) {
    return html`<p class="notice notice-error" role="alert">The invitation is not available: ${invitation.error}</p>`
  }
  return html`<p>Whoever holds this invitation can become a mediated agent of this proxy: give it only to your agent
    (ACA-Py: <code>/out-of-band/receive-invitation</code>, then request mediation).</p>
  <div class="invitation">
    <figure class="qr" data-testid="invitation-qr">${invitation.qrCode}</figure>
    <div class="invitation-text">
      <label for="agent-invitation-url">Invitation URL</label>
      <textarea id="agent-invitation-url" readonly rows="5" spellcheck="false" data-testid="invitation-url">${invitation.url}</textarea>
      <button type="button" data-copy-target="agent-invitation-url" hidden>Copy the invitation URL</button>
      <p class="copy-result" data-copy-result aria-live="polite"></p>
    </div>
  </div>`
}

function renderMediatorInvitationForm(csrfToken: string): SafeHtml {
  return html`<form method="post" action="/ui/mediator-invitation" data-busy-text="Connecting\u2026">
    <input type="hidden" name="csrf_token" value="${csrfToken}">
    <label for="mediator-invitation-url">External mediator&rsquo;s invitation URL</label>
    <p class="hint" id="mediator-invitation-hint">The same as <code>POST /receive_mediator_invitation</code>: the proxy connects, gets mediation and starts pickup. This takes a few seconds. Once set up, this adds another mediator: as primary (the current primary drains), or as standby.</p>
    <input id="mediator-invitation-url" name="invitation_url" type="url" required aria-describedby="mediator-invitation-hint"
      placeholder="https://mediator.example.org?oob=...">
    <label for="mediator-standby"><input type="checkbox" id="mediator-standby" name="standby" value="yes">
      Add as standby (picked up from, named in no grant until made primary)</label>
    <button type="submit">Connect</button>
  </form>`
}

function renderSignOut(csrfToken: string): SafeHtml {
  return html`<form method="post" action="/ui/sign-out" class="sign-out">
    <input type="hidden" name="csrf_token" value="${csrfToken}">
    <button type="submit">Sign out</button>
  </form>`
}
