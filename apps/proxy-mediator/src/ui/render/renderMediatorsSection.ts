import type { ProxyMediatorStatus, UpstreamMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { CONFIRM_FIELD, CONFIRM_VALUE, MEDIATOR_ACTIONS, type MediatorAction } from '../mediatorActions'
import { type SafeHtml, html } from './html'

/** The external mediators of `status.mediators`, the primary first, each with its actions. */
export function renderMediatorsSection(status: ProxyMediatorStatus | undefined, csrfToken: string): SafeHtml {
  if (!status) return html`<p>Not known while the proxy starts.</p>`
  const { mediators } = status
  if (mediators.length === 0) return html`<p data-testid="no-mediator">No external mediator is set up yet.</p>`
  return html`<table class="mediators stack-on-phone">
    <caption>${mediators.length === 1 ? '1 external mediator' : `${mediators.length} external mediators`}${
      status.failovers > 0 ? `; ${status.failovers} failovers since start` : ''
    }</caption>
    <thead><tr>
      <th scope="col">Role</th><th scope="col">In new grants</th><th scope="col">State</th><th scope="col">Endpoint</th>
      <th scope="col">Pickup</th><th scope="col">Socket</th><th scope="col">Reconnects</th><th scope="col">Last error</th>
      <th scope="col">Held messages</th><th scope="col">Relays in flight</th><th scope="col">Actions</th>
    </tr></thead>
    <tbody>${mediators.map((mediator) => renderMediatorRow(mediator, mediators, csrfToken))}</tbody>
  </table>
  ${renderRoutingKeys(status)}`
}

function renderMediatorRow(
  mediator: UpstreamMediatorStatus,
  all: readonly UpstreamMediatorStatus[],
  csrfToken: string,
): SafeHtml {
  return html`<tr data-testid="mediator" data-mediator-id="${mediator.id}" data-role="${mediator.role}">
    <td data-label="Role" data-testid="mediator-role">${mediator.role}</td>
    <td data-label="In new grants" data-testid="mediator-named-in-grants">${mediator.namedInGrants ? 'yes' : 'no'}</td>
    <td data-label="State">${mediator.state}</td>
    <td data-label="Endpoint" class="mono">${orUnknown(mediator.endpoint)}</td>
    <td data-label="Pickup">${orUnknown(mediator.pickupMode)}</td>
    <td data-label="Socket" data-testid="socket-state">${mediator.socketState}</td>
    <td data-label="Reconnects">${mediator.reconnects}</td>
    <td data-label="Last error" class="error-text">${mediator.lastError ?? html`<span class="unknown">none</span>`}</td>
    <td data-label="Held messages" data-testid="mediator-held">${mediator.heldMessages ?? html`<span class="unknown">not reported</span>`}</td>
    <td data-label="Relays in flight" data-testid="mediator-in-flight">${mediator.relaysInFlight}</td>
    <td data-label="Actions" data-testid="mediator-actions">${renderMediatorActions(mediator, all, csrfToken)}</td>
  </tr>`
}

function renderMediatorActions(
  mediator: UpstreamMediatorStatus,
  all: readonly UpstreamMediatorStatus[],
  csrfToken: string,
): SafeHtml {
  const offered = MEDIATOR_ACTIONS.filter((action) => action.offeredFor(mediator, all))
  if (offered.length === 0) return html`<span class="unknown">none</span>`
  return html`${offered.map((action) => renderActionForm(action, mediator, csrfToken))}`
}

function renderActionForm(action: MediatorAction, mediator: UpstreamMediatorStatus, csrfToken: string): SafeHtml {
  const path = `/ui/mediators/${encodeURIComponent(mediator.id)}/${action.name}`
  if (!action.confirmation) {
    return html`<form method="post" action="${path}" class="inline-form">
      <input type="hidden" name="csrf_token" value="${csrfToken}">
      <button type="submit" data-action="${action.name}">${action.label}</button>
    </form>`
  }
  // A dangerous action: its own form, with a box to tick that says what is lost.
  const boxId = `confirm-${action.name}-${mediator.id}`
  return html`<form method="post" action="${path}" class="confirm-form" data-testid="confirm-${action.name}">
    <input type="hidden" name="csrf_token" value="${csrfToken}">
    <label for="${boxId}"><input type="checkbox" id="${boxId}" name="${CONFIRM_FIELD}" value="${CONFIRM_VALUE}" required>
      ${action.confirmation}</label>
    <button type="submit" class="danger" data-action="${action.name}">${action.label}</button>
  </form>`
}

/** The keys senders wrap for: the proxy's own (proxy mode), and the route new grants name. */
function renderRoutingKeys(status: ProxyMediatorStatus): SafeHtml {
  const { upstream } = status
  return html`<dl class="details" data-testid="upstream">
    <dt>Proxy routing key</dt><dd class="mono">${orUnknown(upstream.proxyRoutingKey)}</dd>
    <dt>Primary&rsquo;s routing keys</dt><dd class="mono">${upstream.routingKeys.length > 0 ? upstream.routingKeys.join(', ') : html`<span class="unknown">none</span>`}</dd>
  </dl>`
}

function orUnknown(value: string | number | undefined): SafeHtml | string | number {
  return value ?? html`<span class="unknown">unknown</span>`
}
