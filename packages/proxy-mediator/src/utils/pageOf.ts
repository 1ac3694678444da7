/** At most `limit` values of an iterable from `offset` on, without copying the rest (a keylist may hold 100,000). */
export function pageOf<T>(values: Iterable<T>, offset: number, limit: number): T[] {
  const page: T[] = []
  let position = 0
  for (const value of values) {
    if (position++ < offset) continue
    if (page.length >= limit) break
    page.push(value)
  }
  return page
}
