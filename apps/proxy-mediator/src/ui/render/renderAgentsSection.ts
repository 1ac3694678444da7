import type { AgentStatusView, OperatorStatus } from '../OperatorStatus'
import { type SafeHtml, html } from './html'

/** Each agent of `status.agents`; the fields the module is adding are shown when present. */
export function renderAgentsSection(status: OperatorStatus | undefined): SafeHtml {
  const agents = status?.agents ?? []
  if (agents.length === 0) {
    return html`<p data-testid="no-agents">No agent is mediated yet. An agent connects with the invitation below.</p>`
  }
  return html`<table class="agents">
    <caption>${agents.length === 1 ? '1 agent' : `${agents.length} agents`}</caption>
    <thead><tr>
      <th scope="col">Label</th><th scope="col">Endpoint</th><th scope="col">Mediation</th>
      <th scope="col">Keys</th><th scope="col">Last delivery</th><th scope="col">Failures</th>
    </tr></thead>
    <tbody>${agents.map(renderAgentRow)}</tbody>
  </table>`
}

function renderAgentRow(agent: AgentStatusView): SafeHtml {
  return html`<tr data-testid="agent" data-connection-id="${agent.connectionId}">
    <td>${agent.label ?? html`<span class="unknown">no label</span>`}</td>
    <td class="mono">${agent.endpoint ?? html`<span class="unknown">unknown</span>`}</td>
    <td>${agent.mediationState}</td>
    <td>${renderKeys(agent)}</td>
    <td>${agent.lastDeliveryAt ? html`<time datetime="${agent.lastDeliveryAt}">${agent.lastDeliveryAt}</time>` : html`<span class="unknown">not reported</span>`}</td>
    <td>${agent.failures ?? html`<span class="unknown">not reported</span>`}</td>
  </tr>`
}

/** The keys themselves once the module lists them; until then how many there are. */
function renderKeys(agent: AgentStatusView): SafeHtml {
  if (agent.recipientKeys) {
    return html`<ul class="keys mono">${agent.recipientKeys.map((key) => html`<li>${key}</li>`)}</ul>`
  }
  return html`${agent.keyCount === 1 ? '1 key' : `${agent.keyCount} keys`}`
}
