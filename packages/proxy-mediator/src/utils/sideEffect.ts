/** A logger, a metric or a listener that throws must never cut the handling of a message short. */
export function sideEffect(effect: () => void): void {
  try {
    effect()
  } catch {
    // Deliberately ignored: see above.
  }
}
