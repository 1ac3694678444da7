import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { type SafeHtml, html } from './html'

const MEANING: Record<string, string> = {
  init: 'No external mediator is set up yet: give its invitation below.',
  setup:
    'An external mediator is set up, but pickup is not running (connecting, reconnecting, or waiting for the grant).',
  ready: 'Pickup from the external mediator runs: forwards are relayed to the agents.',
  degraded:
    'Pickup runs, but something fails: an agent whose relays keep failing, or the primary external mediator is down. Its messages wait; the reason says who and why.',
  starting: 'The proxy is starting (opening its wallet).',
}

/** The state and, when the module gives one, its reason. `undefined` status: still starting. */
export function renderStateSection(status: ProxyMediatorStatus | undefined): SafeHtml {
  const state = status?.status ?? 'starting'
  return html`<p class="state">
      <span class="state-badge state-${state}" data-testid="state">${state}</span>
      <span class="state-meaning">${MEANING[state] ?? ''}</span>
    </p>
    ${status?.reason ? html`<p class="state-reason state-reason-${state}">Reason: <span data-testid="state-reason">${status.reason}</span></p>` : ''}`
}
