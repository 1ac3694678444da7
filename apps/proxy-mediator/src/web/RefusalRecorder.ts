import type { Logger } from '@credo-ts/core'
import { RejectionLog } from './RejectionLog'

/** Records one refusal of a client's input: its reason (a code) and a line that says what was refused. */
export type RecordRefusal = (reason: string, line: string) => void

/**
 * The one record of refused input, for every way in (HTTP, websocket frames and upgrades,
 * connections, the operator's page): a log line per reason and minute, with a summary, and a count
 * per reason in /metrics. A side path: a logger or a metric that throws never reaches the caller.
 */
export function refusalRecorder(logger: Logger, countRejection?: (reason: string) => void): RecordRefusal {
  const log = new RejectionLog(logger)
  return (reason, line) => {
    try {
      log.record(reason, line)
    } catch {
      // The refusal itself is answered whatever the log does.
    }
    try {
      countRejection?.(reason)
    } catch {
      // As above: a metric never decides the answer.
    }
  }
}
