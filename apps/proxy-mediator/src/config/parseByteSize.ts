const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

/**
 * `'5mb'` -> 5242880. Written here rather than borrowed from express's `bytes` dependency so the
 * runner validates the value itself (and names the field) before express ever sees it.
 * Returns undefined for anything that is not a positive size.
 */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value)
  if (!match) return undefined
  const bytes = Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()])
  return bytes > 0 ? bytes : undefined
}
