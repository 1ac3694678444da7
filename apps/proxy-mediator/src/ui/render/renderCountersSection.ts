import type { ProxyMediatorStatus, RelayCounters } from '@proxy-mediator/proxy-mediator'
import { type SafeHtml, html } from './html'

/** Each counter of `status.counters`, in the order an operator reads them, with what it counts. */
const COUNTERS: Array<{ key: keyof RelayCounters; label: string; title: string }> = [
  { key: 'relayed', label: 'Relayed', title: 'Messages POSTed to an agent and answered 2xx' },
  {
    key: 'inFlight',
    label: 'In flight',
    title: 'Messages taken and not yet delivered: being POSTed, or waiting for their next attempt',
  },
  { key: 'deadLettered', label: 'Dead-lettered', title: 'Messages that can never be relayed' },
  {
    key: 'failedAttempts',
    label: 'Failed attempts',
    title: 'Relay attempts that failed (non-2xx, timeout, refused); a message may fail several times',
  },
  {
    key: 'outbox',
    label: 'Outbox',
    title: 'Messages waiting in the durable outbox (implicit pickup, pickup 1.0, posted forwards)',
  },
  {
    key: 'heldInMemory',
    label: 'Held in memory',
    title: 'Messages taken while the store took no writes (a full disk), relayed from memory',
  },
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
