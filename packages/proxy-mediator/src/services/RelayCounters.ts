import { injectable } from '@credo-ts/core'
import type { RelayCounters as RelayCountersSnapshot } from '../models/ProxyMediatorStatus'

/** Process-lifetime counters of the relay, read by the status API and the runner's metrics. */
@injectable()
export class RelayCounters {
  public relayed = 0
  public retried = 0
  public failed = 0
  public deadLettered = 0
  public inFlight = 0
  public outbox = 0
  public heldInMemory = 0

  public snapshot(): RelayCountersSnapshot {
    return {
      relayed: this.relayed,
      retried: this.retried,
      failed: this.failed,
      deadLettered: this.deadLettered,
      inFlight: this.inFlight,
      outbox: this.outbox,
      heldInMemory: this.heldInMemory,
    }
  }
}
