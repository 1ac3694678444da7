import { injectable } from '@credo-ts/core'
import type { RelayCounters } from '../../models/ProxyMediatorStatus'

/**
 * The relay's counters as it moves them, for the life of the process; `snapshot()` is what the
 * status API and the runner's metrics read (`RelayCounters`).
 */
@injectable()
export class LiveRelayCounters {
  public relayed = 0
  public deadLettered = 0
  public inFlight = 0
  public failedAttempts = 0
  public outbox = 0
  public heldInMemory = 0

  public snapshot(): RelayCounters {
    return {
      relayed: this.relayed,
      deadLettered: this.deadLettered,
      inFlight: this.inFlight,
      failedAttempts: this.failedAttempts,
      outbox: this.outbox,
      heldInMemory: this.heldInMemory,
    }
  }
}
