import type { DeadLetterView, DeadLetterViewPage, DownstreamAgentStatus } from '@proxy-mediator/proxy-mediator'
import { type SafeHtml, html } from './html'

export type DeadLettersView =
  | {
      page: DeadLetterViewPage
      /** The cursor this page was read from; undefined for the newest. */
      before?: string
      agents: readonly DownstreamAgentStatus[]
    }
  | { error: string }

/**
 * The dead letters, a page at a time, newest first: the reason, when, the key and the agent that
 * holds it, the size; never the content. Each action is a form that leads to a confirmation page
 * first (`/ui/dead-letters/:action`), so none happens by one stray click, with or without script.
 */
export function renderDeadLettersSection(view: DeadLettersView, csrfToken: string): SafeHtml {
  if ('error' in view)
    return html`<p class="notice notice-error" role="alert">The dead letters could not be read: ${view.error}</p>`
  const { page, before, agents } = view
  const newest = before ? html`<a href="/#dead-letters-heading">Back to the newest</a>` : ''
  if (page.deadLetters.length === 0) {
    return html`<p data-testid="no-dead-letters">${before ? 'No older dead letters.' : 'No dead letters: every message taken was relayed, or is being relayed.'}</p>${newest}`
  }
  const agentName = agentNamer(agents)
  const agentsWithLetters = [...new Set(page.deadLetters.map((letter) => letter.agentConnectionId).filter(isString))]
  return html`<p class="hint">Messages acknowledged upstream that the proxy will not relay by itself. Fix the cause first (the agent registers its key again, its endpoint answers), then relay them again. This list is read when the page loads: reload for new ones.</p>
    <table class="dead-letters stack-on-phone">
      <caption>${page.deadLetters.length === 1 ? '1 dead letter' : `${page.deadLetters.length} dead letters`}${before ? ', older ones' : ', the newest first'}</caption>
      <thead><tr>
        <th scope="col">When</th><th scope="col">Reason</th><th scope="col">Recipient key</th><th scope="col">Agent</th>
        <th scope="col">Size</th><th scope="col">Actions</th>
      </tr></thead>
      <tbody>${page.deadLetters.map((letter) => renderDeadLetterRow(letter, agentName, csrfToken))}</tbody>
    </table>
    <div class="dead-letter-bulk">
      ${agentsWithLetters.map(
        (
          connectionId,
        ) => html`<div class="bulk-actions" data-testid="dead-letters-of-agent" data-connection-id="${connectionId}">
          <span>All of ${agentName(connectionId)}:</span>
          ${actionForm('replay', 'Relay all again', [['connection_id', connectionId]], csrfToken)}
          ${actionForm('delete', 'Delete all', [['connection_id', connectionId]], csrfToken, true)}
        </div>`,
      )}
      <div class="bulk-actions">${actionForm('delete', 'Delete every dead letter', [['all', 'yes']], csrfToken, true)}</div>
    </div>
    <p class="paging">${newest}${page.next ? html` <a href="/?dead_letters_before=${encodeURIComponent(page.next)}#dead-letters-heading" data-testid="older-dead-letters">Older dead letters</a>` : ''}</p>`
}

function renderDeadLetterRow(letter: DeadLetterView, agentName: (id: string) => string, csrfToken: string): SafeHtml {
  return html`<tr data-testid="dead-letter" data-dead-letter-id="${letter.id}">
    <td data-label="When"><time datetime="${letter.at}">${letter.at}</time></td>
    <td data-label="Reason" class="error-text">${letter.reason}</td>
    <td data-label="Recipient key" class="mono">${letter.recipientKey ?? html`<span class="unknown">not read</span>`}</td>
    <td data-label="Agent">${letter.agentConnectionId ? agentName(letter.agentConnectionId) : html`<span class="unknown">none holds its key</span>`}</td>
    <td data-label="Size">${letter.envelopeBytes === undefined ? html`<span class="unknown">unknown</span>` : formatBytes(letter.envelopeBytes)}${letter.replayable ? '' : html` <span class="unknown">(only its digest is kept)</span>`}</td>
    <td data-label="Actions">
      ${letter.replayable ? actionForm('replay', 'Relay again', [['ids', letter.id]], csrfToken) : ''}
      ${actionForm('delete', 'Delete', [['ids', letter.id]], csrfToken, true)}
    </td>
  </tr>`
}

/** A button that posts its selection to the action's route, which asks for a confirmation first. */
function actionForm(
  action: 'replay' | 'delete',
  label: string,
  fields: Array<[string, string]>,
  csrfToken: string,
  danger = false,
): SafeHtml {
  return html`<form method="post" action="/ui/dead-letters/${action}" class="inline-form">
    <input type="hidden" name="csrf_token" value="${csrfToken}">
    ${fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
    <button type="submit" class="${danger ? 'danger' : ''}" data-dead-letter-action="${action}">${label}</button>
  </form>`
}

/** An agent by its label, else by its connection id. */
export function agentNamer(agents: readonly DownstreamAgentStatus[]): (connectionId: string) => string {
  return (connectionId) => {
    const label = agents.find((agent) => agent.connectionId === connectionId)?.label
    return label ? `agent ${label} (${connectionId})` : `agent ${connectionId}`
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

function isString(value: string | undefined): value is string {
  return value !== undefined
}
