import type { ProxyMediatorStatus, RelayCounters } from '@proxy-mediator/proxy-mediator'
import { type SafeHtml, html } from './html'

/** Each counter of `status.counters`, in the order an operator reads them, with what it counts. */
const COUNTERS: Array<{ key: keyof RelayCounters; label: string; title: string }> = [
  { key: 'relayed', label: 'Relayed', title: 'Forwards POSTed to an agent and answered 2xx' },
  { key: 'retried', label: 'Retried', title: 'Failed relay attempts that will be tried again' },
  { key: 'failed', label: 'Failed', title: 'Relay attempts that failed (non-2xx, timeout, refused)' },
  { key: 'deadLettered', label: 'Dead-lettered', title: 'Forwards that can never be relayed' },
  { key: 'inFlight', label: 'In flight', title: 'Relays running now' },
  { key: 'outbox', label: 'Outbox', title: 'Messages waiting in the durable outbox (implicit pickup)' },
]

export function renderCountersSection(status: ProxyMediatorStatus | undefined): SafeHtml {
  if (!status) return html`<p>No counters while the proxy starts.</p>`
  return html`<dl class="counters">
    ${COUNTERS.map(
      ({ key, label, title }) =>
        html`<div class="counter" title="${title}"><dt>${label}</dt><dd data-counter="${key}">${status.counters[key]}</dd></div>`,
    )}
  </dl>`
}
