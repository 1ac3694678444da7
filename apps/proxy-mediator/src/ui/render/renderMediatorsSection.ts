import type { UpstreamStatus } from '@proxy-mediator/proxy-mediator'
import type { MediatorStatusView, OperatorStatus } from '../OperatorStatus'
import { MEDIATOR_ACTIONS } from '../mediatorActions'
import { type SafeHtml, html } from './html'

/**
 * The external mediators: `status.mediators` when the module reports several, else the single
 * `status.upstream` of today's module.
 */
export function renderMediatorsSection(status: OperatorStatus | undefined, csrfToken: string): SafeHtml {
  if (!status) return html`<p>Not known while the proxy starts.</p>`
  if (status.mediators) return renderMediatorTable(status.mediators, csrfToken)
  return renderUpstream(status.upstream)
}

function renderMediatorTable(mediators: MediatorStatusView[], csrfToken: string): SafeHtml {
  if (mediators.length === 0) return html`<p data-testid="no-mediator">No external mediator is set up.</p>`
  return html`<table class="mediators">
    <caption>${mediators.length === 1 ? '1 external mediator' : `${mediators.length} external mediators`}</caption>
    <thead><tr>
      <th scope="col">Role</th><th scope="col">Endpoint</th><th scope="col">Pickup</th><th scope="col">Socket</th>
      <th scope="col">Reconnects</th><th scope="col">Last error</th><th scope="col">Held messages</th>
      <th scope="col">Actions</th>
    </tr></thead>
    <tbody>${mediators.map((mediator) => renderMediatorRow(mediator, csrfToken))}</tbody>
  </table>`
}

function renderMediatorRow(mediator: MediatorStatusView, csrfToken: string): SafeHtml {
  return html`<tr data-testid="mediator" data-mediator-id="${mediator.id}">
    <td>${mediator.role}</td>
    <td class="mono">${orUnknown(mediator.endpoint)}</td>
    <td>${orUnknown(mediator.pickupMode)}</td>
    <td>${orUnknown(mediator.socketState)}</td>
    <td>${orUnknown(mediator.reconnects)}</td>
    <td class="error-text">${mediator.lastError ?? html`<span class="unknown">none</span>`}</td>
    <td>${orUnknown(mediator.heldMessages)}</td>
    <td data-testid="mediator-actions">${renderMediatorActions(mediator, csrfToken)}</td>
  </tr>`
}

/** One small form per action of `MEDIATOR_ACTIONS`; none until the module has the calls. */
function renderMediatorActions(mediator: MediatorStatusView, csrfToken: string): SafeHtml {
  if (MEDIATOR_ACTIONS.length === 0) return html`<span class="unknown">none yet</span>`
  return html`${MEDIATOR_ACTIONS.map(
    (
      action,
    ) => html`<form method="post" action="/ui/mediators/${encodeURIComponent(mediator.id)}/${action.name}" class="inline-form">
      <input type="hidden" name="csrf_token" value="${csrfToken}">
      <button type="submit">${action.label}</button>
    </form>`,
  )}`
}

function renderUpstream(upstream: UpstreamStatus): SafeHtml {
  if (!upstream.mediatorConnectionId) {
    return html`<p data-testid="no-mediator">No external mediator is set up yet.</p>`
  }
  return html`<dl class="details" data-testid="upstream">
    <dt>Label</dt><dd>${orUnknown(upstream.mediatorLabel)}</dd>
    <dt>Endpoint</dt><dd class="mono">${orUnknown(upstream.endpoint)}</dd>
    <dt>Pickup</dt><dd>${orUnknown(upstream.pickupMode)}</dd>
    <dt>Socket</dt><dd data-testid="socket-state">${upstream.socketState}</dd>
    <dt>Last pickup</dt><dd>${orUnknown(upstream.lastPickupAt)}</dd>
    <dt>Reconnects</dt><dd>${upstream.reconnects}</dd>
    <dt>Last error</dt><dd class="error-text">${upstream.lastError ?? html`<span class="unknown">none</span>`}</dd>
    <dt>Proxy routing key</dt><dd class="mono">${orUnknown(upstream.proxyRoutingKey)}</dd>
    <dt>Mediator routing keys</dt><dd class="mono">${upstream.routingKeys.length > 0 ? upstream.routingKeys.join(', ') : html`<span class="unknown">none</span>`}</dd>
  </dl>`
}

function orUnknown(value: string | number | undefined): SafeHtml | string | number {
  return value ?? html`<span class="unknown">unknown</span>`
}
