import type { DownstreamAgentStatus, ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import { type SafeHtml, html } from './html'

/** Each agent of `status.agents`. */
export function renderAgentsSection(status: ProxyMediatorStatus | undefined): SafeHtml {
  const agents = status?.agents ?? []
  if (agents.length === 0) {
    return html`<p data-testid="no-agents">No agent is mediated yet. An agent connects with the invitation below.</p>`
  }
  return html`<table class="agents stack-on-phone">
    <caption>${agents.length === 1 ? '1 agent' : `${agents.length} agents`}</caption>
    <thead><tr>
      <th scope="col">Label</th><th scope="col">Endpoint</th><th scope="col">Mediation</th>
      <th scope="col">Keys</th><th scope="col">Last delivery</th><th scope="col">Relays</th>
    </tr></thead>
    <tbody>${agents.map(renderAgentRow)}</tbody>
  </table>`
}

function renderAgentRow(agent: DownstreamAgentStatus): SafeHtml {
  return html`<tr data-testid="agent" data-connection-id="${agent.connectionId}">
    <td data-label="Label">${agent.label ?? html`<span class="unknown">no label</span>`}</td>
    <td data-label="Endpoint" class="mono">${agent.endpoint ?? html`<span class="unknown">unknown</span>`}</td>
    <td data-label="Mediation">${agent.mediationState}</td>
    <td data-label="Keys">${renderKeys(agent)}</td>
    <td data-label="Last delivery">${agent.lastDeliveryAt ? html`<time datetime="${agent.lastDeliveryAt}">${agent.lastDeliveryAt}</time>` : html`<span class="unknown">none since start</span>`}</td>
    <td data-label="Relays">${renderRelayHealth(agent)}</td>
  </tr>`
}

/** The keys the agent registered: the first ones the status lists, and how many more there are. */
function renderKeys(agent: DownstreamAgentStatus): SafeHtml {
  if (agent.recipientKeys.length === 0) return html`<span class="unknown">none</span>`
  const more = agent.keyCount - agent.recipientKeys.length
  return html`<ul class="keys mono">${agent.recipientKeys.map((key) => html`<li>${key}</li>`)}${
    more > 0 ? html`<li data-testid="more-keys">and ${more.toLocaleString('en')} more</li>` : ''
  }</ul>`
}

/** Whether its relays get through: failing with the cause and since when, its backlog, and the failed attempts. */
function renderRelayHealth(agent: DownstreamAgentStatus): SafeHtml {
  const backlog = agent.backlog > 0 ? html` <span data-testid="agent-backlog">${agent.backlog} waiting</span>` : ''
  if (agent.state === 'failing') {
    return html`<span class="failing" data-testid="agent-failing">failing since <time datetime="${agent.failingSince ?? ''}">${agent.failingSince ?? ''}</time>: ${agent.lastError ?? 'no answer'}</span>${backlog}`
  }
  return html`<span class="ok">ok</span>${backlog}${agent.failedAttempts > 0 ? html` <span class="attempts">${agent.failedAttempts} failed attempts</span>` : ''}`
}
