import { CONFIRMED_FIELD, CONFIRMED_VALUE } from '../deadLetterActions'
import { html } from './html'
import { renderPageLayout } from './renderPageLayout'

export interface DeadLetterConfirmationView {
  action: string
  label: string
  question: string
  consequence: string
  /** The fields that name the dead letters, posted again with the confirmation. */
  fields: Array<[string, string]>
  csrfToken: string
}

/** The step between a dead-letter button and its action: what will happen, and a button to do it. */
export function renderDeadLetterConfirmation(view: DeadLetterConfirmationView): string {
  return renderPageLayout(
    'Confirm: proxy mediator',
    html`<main class="confirmation">
  <h1>Proxy mediator</h1>
  <form method="post" action="/ui/dead-letters/${view.action}" class="card" data-testid="dead-letter-confirmation">
    <h2>${view.question}</h2>
    <p>${view.consequence}</p>
    <input type="hidden" name="csrf_token" value="${view.csrfToken}">
    ${view.fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
    <input type="hidden" name="${CONFIRMED_FIELD}" value="${CONFIRMED_VALUE}">
    <div class="confirmation-buttons">
      <button type="submit" class="${view.action === 'delete' ? 'danger' : ''}" data-testid="confirm-dead-letter-action">${view.label}</button>
      <a href="/#dead-letters-heading">Cancel: back to the page, nothing done</a>
    </div>
  </form>
</main>`,
    { script: false },
  )
}
