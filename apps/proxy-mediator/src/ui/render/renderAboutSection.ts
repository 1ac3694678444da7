import { type RunnerFacts, uptimeSeconds } from '../../runner/RunnerFacts'
import { type SafeHtml, html } from './html'

/** Which versions run, since when, and the configuration in effect (secrets masked); GET /about says the same. */
export function renderAboutSection(facts: RunnerFacts, now = Date.now()): SafeHtml {
  const { versions } = facts
  return html`<dl class="details" data-testid="about">
    <dt>Runner</dt><dd data-testid="version-runner">${versions.runner}</dd>
    <dt>Module</dt><dd data-testid="version-module">@proxy-mediator/proxy-mediator ${versions.module}</dd>
    <dt>Credo</dt><dd>${versions.credo}</dd>
    <dt>Node.js</dt><dd>${versions.node}</dd>
    <dt>Started</dt><dd><time datetime="${facts.startedAt.toISOString()}">${facts.startedAt.toISOString()}</time>, up ${formatDuration(uptimeSeconds(facts, now))} when this page loaded</dd>
  </dl>
  <details class="configuration">
    <summary>Configuration in effect (the keys only say whether they are set)</summary>
    <dl class="details" data-testid="configuration">${Object.entries(facts.configuration)
      .filter(([, value]) => value !== undefined)
      .map(
        ([name, value]) =>
          html`<dt>${name}</dt><dd class="mono">${Array.isArray(value) ? value.join(', ') : typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>`,
      )}</dl>
  </details>
  <p class="hint">The admin routes are described at <a href="/api-docs">/api-docs</a> (<a href="/openapi.json">/openapi.json</a>).</p>`
}

/** `3 d 4 h`, `2 h 5 min`, `4 min 10 s`. */
export function formatDuration(seconds: number): string {
  const days = Math.floor(seconds / 86_400)
  const hours = Math.floor((seconds % 86_400) / 3_600)
  const minutes = Math.floor((seconds % 3_600) / 60)
  if (days > 0) return `${days} d ${hours} h`
  if (hours > 0) return `${hours} h ${minutes} min`
  if (minutes > 0) return `${minutes} min ${seconds % 60} s`
  return `${seconds} s`
}
