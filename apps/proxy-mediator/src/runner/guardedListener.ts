/**
 * A listener of the runner on the module's events (a metric, a log line). The module emits them in
 * the middle of a message's handling, and Node's emitter stops at the first listener that throws: so
 * whatever this one throws stays here, and the message and the other listeners go on.
 */
export function guardedListener<Event>(listener: (event: Event) => void): (event: Event) => void {
  return (event) => {
    try {
      listener(event)
    } catch {
      // Deliberately dropped: a side path never decides the main one.
    }
  }
}
