import { constants, accessSync } from 'node:fs'

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']

/**
 * The system's Chromium (Debian's package), which puppeteer-core drives: puppeteer's own browser
 * download cannot be reached from this project's machines. No browser is a failure that says
 * how to get one, never a skipped test.
 */
export function systemChromium(): string {
  for (const candidate of CANDIDATES) {
    if (!candidate) continue
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Try the next one.
    }
  }
  throw new Error(
    `No Chromium found (looked at ${CANDIDATES.filter(Boolean).join(', ')}). The operator's page is tested in a real browser: run \`bash scripts/ensure-chromium.sh\` as root (it runs apt-get install chromium), or set CHROMIUM_PATH to a Chromium or Chrome binary.`,
  )
}
