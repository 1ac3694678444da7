import type { RoleReady } from '@proxy-mediator/topology'
import { startInApp } from './appProcess'
import { readmeSample } from './readmeSamples'
import { compileRole } from './sampleInApp'
import type { ScratchApp } from './scratchApp'

const RUN_TIMEOUT_MS = 60_000

/** What app/walletRole.ts reports. */
export interface WalletOutcome extends RoleReady {
  credoVersion: string
  invitationKeys: number
  recordFoundAfterReopen: boolean
}

/**
 * The wallet README's sample run for real in the app (app/walletRole.ts): a key made and a record
 * stored through the wallet, found again by a second agent on the same wallet. Throws unless both
 * happened on the app's Credo.
 */
export async function runWalletSample(app: ScratchApp, workDir: string): Promise<WalletOutcome> {
  const entry = compileRole(app, 'walletRole', readmeSample('wallet'))
  const outcome = (await startInApp(app, 'wallet', entry, workDir).ready(RUN_TIMEOUT_MS)) as WalletOutcome
  if (outcome.credoVersion !== app.credoVersion) throw new Error(`the sample loaded Credo ${outcome.credoVersion}`)
  if (outcome.invitationKeys < 1) throw new Error('the invitation has no key')
  if (!outcome.recordFoundAfterReopen) throw new Error('the record was not found after the wallet was reopened')
  return outcome
}
