import { injectable } from '@credo-ts/core'
import type { RelayCounters as RelayCountersSnapshot } from '../models/ProxyMediatorStatus'

/** Process-lifetime counters of the relay, read by the status API and the runner's metrics. */
@injectable()
export class RelayCounters {
  public relayed = 0
  public deadLettered = 0
  public inFlight = 0
  public failedAttempts = 0
  public outbox = 0
  public heldInMemory = 0

  public snapshot(): RelayCountersSnapshot {
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
