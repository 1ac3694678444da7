import type { ProxyMediatorStatus } from '@proxy-mediator/proxy-mediator'
import type { SafeHtml } from './html'
import { renderAgentsSection } from './renderAgentsSection'
import { renderCountersSection } from './renderCountersSection'
import { renderMediatorsSection } from './renderMediatorsSection'
import { renderStateSection } from './renderStateSection'

/** The parts of the page that change with the status; the page and each live update render them the same way. */
export type LiveRegionName = 'state' | 'counters' | 'mediators' | 'agents'

export type LiveRegions = Record<LiveRegionName, SafeHtml>

/**
 * Rendered on the server for the page and for every Server-Sent Event alike, so the browser
 * script only swaps markup in and needs no rendering (nor escaping) of its own.
 */
export function renderLiveRegions(status: ProxyMediatorStatus | undefined, csrfToken: string): LiveRegions {
  return {
    state: renderStateSection(status),
    counters: renderCountersSection(status),
    mediators: renderMediatorsSection(status, csrfToken),
    agents: renderAgentsSection(status),
  }
}
