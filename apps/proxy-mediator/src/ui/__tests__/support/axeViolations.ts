// Callbacks passed to page.evaluate run in the browser: they are typed against the DOM.
/// <reference lib="dom" />
import { readFileSync } from 'node:fs'
import type { Page } from 'puppeteer-core'

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation {
  id: string
  impact: string
  help: string
  targets: string[]
}

/**
 * Loads `url` in a new page of the browser context given and runs axe-core on it (WCAG 2.1 A and
 * AA rules); returns the serious and critical violations. Only this page bypasses the CSP, to
 * inject axe: the page under test is left as it is served.
 */
export async function axeViolations(browser: { newPage(): Promise<Page> }, url: string): Promise<AxeViolation[]> {
  const page = await browser.newPage()
  try {
    await page.setBypassCSP(true)
    await page.goto(url, { waitUntil: 'load' })
    await page.addScriptTag({ content: AXE_SOURCE })
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (context: Document, options: unknown) => Promise<AxeResults> } })
        .axe
      const results = await axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      })
      return results.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact ?? 'unknown',
        help: violation.help,
        targets: violation.nodes.map((node) => node.target.join(' ')),
      }))
    })
    return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
  } finally {
    await page.close()
  }
}

interface AxeResults {
  violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: string[] }> }>
}
