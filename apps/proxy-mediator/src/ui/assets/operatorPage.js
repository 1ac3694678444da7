// The operator's page, live. The page reads complete without this script; it only:
// - swaps in the regions each Server-Sent Event brings (rendered and escaped by the server, so
//   nothing is rendered here),
// - draws the relayed-per-second sparkline from the relayed counter,
// - copies the invitation URL, and marks a form busy while the proxy works on it.
;(() => {
  /** Two minutes of samples at one event a second. */
  const SPARKLINE_SAMPLES = 120
  const SPARKLINE_WIDTH = 120
  const SPARKLINE_HEIGHT = 32

  const liveState = document.querySelector('[data-testid="live-state"]')
  const setLiveState = (text) => {
    if (liveState && liveState.textContent !== text) liveState.textContent = text
  }

  const regions = new Map()
  for (const element of document.querySelectorAll('[data-live-region]')) {
    regions.set(element.getAttribute('data-live-region'), { element, markup: element.innerHTML })
  }

  /** Replaces a region only when its markup changed, so focus and selection stay put otherwise. */
  const applyRegions = (markupByName) => {
    for (const [name, markup] of Object.entries(markupByName || {})) {
      const region = regions.get(name)
      if (!region || region.markup === markup) continue
      region.element.innerHTML = markup
      region.markup = markup
    }
  }

  const sparkline = createSparkline()

  const connect = () => {
    if (!window.EventSource) return
    const source = new EventSource('/ui/events')
    source.addEventListener('open', () => setLiveState('Live: updated every second.'))
    source.addEventListener('status', (event) => {
      const snapshot = JSON.parse(event.data)
      applyRegions(snapshot.regions)
      if (snapshot.counters) sparkline.record(snapshot.counters.relayed)
      setLiveState('Live: updated every second.')
    })
    source.addEventListener('closing', (event) => {
      source.close()
      const { reason } = JSON.parse(event.data)
      setLiveState(
        reason === 'shutdown'
          ? 'The proxy is shutting down: live updates stopped.'
          : 'Your session ended: reload the page to sign in again.',
      )
    })
    source.addEventListener('error', () => {
      setLiveState(
        source.readyState === EventSource.CLOSED
          ? 'Live updates stopped (the stream was refused): reload the page.'
          : 'Live updates interrupted: reconnecting\u2026',
      )
    })
  }

  function createSparkline() {
    const line = document.querySelector('[data-sparkline-line]')
    const caption = document.querySelector('[data-testid="throughput"]')
    const samples = []
    let last
    return {
      record(relayed) {
        const now = Date.now()
        if (last) {
          const seconds = Math.max((now - last.at) / 1000, 0.001)
          // A restarted proxy counts from 0 again: no negative rates.
          samples.push(Math.max(relayed - last.relayed, 0) / seconds)
          if (samples.length > SPARKLINE_SAMPLES) samples.shift()
          draw()
        }
        last = { relayed, at: now }
      },
    }

    function draw() {
      const peak = Math.max(...samples, 1)
      const step = SPARKLINE_WIDTH / (SPARKLINE_SAMPLES - 1)
      const offset = (SPARKLINE_SAMPLES - samples.length) * step
      const points = samples.map((value, index) => {
        const x = offset + index * step
        const y = SPARKLINE_HEIGHT - 1 - (value / peak) * (SPARKLINE_HEIGHT - 2)
        return `${x.toFixed(1)},${y.toFixed(1)}`
      })
      if (line) line.setAttribute('points', points.join(' '))
      if (caption) {
        const current = samples[samples.length - 1]
        caption.textContent = `now ${current.toFixed(1)}/s, peak ${Math.max(...samples).toFixed(1)}/s`
      }
    }
  }

  const enableCopyButtons = () => {
    for (const button of document.querySelectorAll('[data-copy-target]')) {
      const field = document.getElementById(button.getAttribute('data-copy-target'))
      const result = button.parentElement.querySelector('[data-copy-result]')
      if (!field) continue
      button.hidden = false
      button.addEventListener('click', () => {
        const say = (text) => {
          if (result) result.textContent = text
        }
        // The Clipboard API exists on HTTPS and localhost only; plain HTTP on the LAN takes the old way.
        const fallback = () => {
          field.focus()
          field.select()
          say(document.execCommand('copy') ? 'Copied.' : 'Could not copy: the URL is selected, press Ctrl+C.')
        }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(() => say('Copied.'), fallback)
        } else {
          fallback()
        }
      })
    }
  }

  /** Connecting to a mediator takes seconds: say so, and do not let a second click post again. */
  const markBusyForms = () => {
    for (const form of document.querySelectorAll('form[data-busy-text]')) {
      form.addEventListener('submit', () => {
        const button = form.querySelector('button[type="submit"]')
        if (!button) return
        button.textContent = form.getAttribute('data-busy-text')
        button.disabled = true
      })
    }
  }

  enableCopyButtons()
  markBusyForms()
  connect()
})()
