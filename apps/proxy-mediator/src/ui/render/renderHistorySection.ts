import type { HistorySample } from '../../history/StatusHistory'
import { type SafeHtml, html } from './html'

export interface HistoryView {
  samples: readonly HistorySample[]
  stepMs: number
  /** How many steps the chart spans (an hour's worth). */
  capacity: number
}

const WIDTH = 360
const HEIGHT = 80

/** The series drawn, each on its own scale (its peak is named in the legend). */
const SERIES = [
  { key: 'relayed', label: 'Relayed per step' },
  { key: 'failedAttempts', label: 'Failed attempts per step' },
  { key: 'backlog', label: 'Backlog (taken, not delivered)' },
] as const

/**
 * The last hour as an SVG drawn on the server: the page has it at load time, without JavaScript,
 * and each live update that brings a new step swaps it in. The newest step is at the right edge.
 */
export function renderHistorySection({ samples, stepMs, capacity }: HistoryView): SafeHtml {
  const first = samples[0]
  const stepSeconds = stepMs / 1000
  if (!first)
    return html`<p data-testid="history" data-history-samples="0">No step recorded yet: one every ${stepSeconds} s.</p>`
  const step = WIDTH / Math.max(capacity - 1, 1)
  const offset = (capacity - samples.length) * step
  const lines = SERIES.map(({ key, label }) => {
    const values = samples.map((sample) => sample[key])
    const peak = Math.max(...values)
    const points = values
      .map((value, index) => {
        const y = HEIGHT - 1 - (peak > 0 ? (value / peak) * (HEIGHT - 2) : 0)
        return `${(offset + index * step).toFixed(1)},${y.toFixed(1)}`
      })
      .join(' ')
    return { key, label, peak, total: values.reduce((sum, value) => sum + value, 0), points }
  })
  const last = samples[samples.length - 1]
  return html`<figure class="history" data-testid="history" data-history-samples="${samples.length}" data-history-first="${first.at}" data-history-last="${last.at}">
    <svg class="history-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-labelledby="history-caption">
      ${lines.map((line) => html`<polyline class="series series-${line.key}" points="${line.points}"></polyline>`)}
    </svg>
    <figcaption id="history-caption">
      Since <time datetime="${first.at}">${first.at}</time>, one step every ${stepSeconds} s (${samples.length} steps, the newest on the right):
      <ul class="history-legend">${lines.map(
        (line) =>
          html`<li><span class="swatch swatch-${line.key}"></span>${line.label}: ${line.key === 'backlog' ? `now ${last.backlog}, peak ${line.peak}` : `${line.total} in all, peak ${line.peak}`}</li>`,
      )}</ul>
    </figcaption>
  </figure>`
}
