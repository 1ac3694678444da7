import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const REPO_ROOT = join(__dirname, '..')

/** Each README sample, by the name of its markers (`<!-- sample:NAME:start -->`), and the README it is in. */
const SAMPLES = {
  /** The root README's "use the module in your own Credo agent". */
  module: join(REPO_ROOT, 'README.md'),
  /** The portable wallet's README. */
  wallet: join(REPO_ROOT, 'packages', 'portable-wallet', 'README.md'),
} as const
export type SampleName = keyof typeof SAMPLES

/**
 * A README sample, without its code fence: the one source of it for the monorepo's type-check
 * (readmeSample.test.ts) and for the scratch apps of `yarn test:packages`, so that neither checks
 * a copy.
 */
export function readmeSample(name: SampleName): string {
  const readme = readFileSync(SAMPLES[name], 'utf8')
  const markers = new RegExp(
    `<!-- sample:${name}:start -->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\`\\s*<!-- sample:${name}:end -->`,
  )
  const match = readme.match(markers)
  if (!match) throw new Error(`${SAMPLES[name]} has no sample between the sample:${name} markers`)
  return match[1]
}

/** The module sample's placeholders that a running proxy needs real values for. */
export interface ModuleSamplePlaceholders {
  /** Replaces `'http://proxy.internal:3000'`. */
  endpoint: string
  /** Replaces `port: 3000`. */
  port: number
  /** Replaces `'https://mediator.example.org?oob=...'`. */
  mediatorInvitationUrl: string
}

/**
 * The module sample with its placeholders replaced, and nothing else changed. Each placeholder must
 * occur exactly once, so that an edit of the README that moves one fails here instead of running a
 * sample that no longer says what the README says.
 */
export function runnableModuleSample(values: ModuleSamplePlaceholders): string {
  const replacements: Array<[string, string]> = [
    ["'http://proxy.internal:3000'", JSON.stringify(values.endpoint)],
    ['port: 3000', `port: ${values.port}`],
    ["'https://mediator.example.org?oob=...'", JSON.stringify(values.mediatorInvitationUrl)],
  ]
  let runnable = readmeSample('module')
  for (const [placeholder, value] of replacements) {
    const occurrences = runnable.split(placeholder).length - 1
    if (occurrences !== 1) {
      throw new Error(`The README's module sample has ${occurrences} occurrences of ${placeholder}; expected one`)
    }
    runnable = runnable.replace(placeholder, value)
  }
  return runnable
}
