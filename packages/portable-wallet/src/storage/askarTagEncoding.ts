import type { TagsBase } from '@credo-ts/core'

/**
 * Tag encoding identical to @credo-ts/askar's storage utils, so records and queries behave the
 * same as on Askar (and a future migration between the two is a copy):
 *
 * - `true`/`false` are stored as '1'/'0';
 * - the strings '1'/'0' are stored as 'n__1'/'n__0' so they don't read back as booleans;
 * - an array `name: [a, b]` is stored as the tags `name:a` = '1' and `name:b` = '1', so a query
 *   for `name: [a]` matches every record whose array contains `a`;
 * - `null`/`undefined` mean "no tag".
 */
export type EncodedTags = Record<string, string | undefined>

export function encodeTags(tags: TagsBase): EncodedTags {
  const encoded: EncodedTags = {}
  for (const [key, value] of Object.entries(tags)) {
    if (value === null || value === undefined) {
      encoded[key] = undefined
    } else if (typeof value === 'boolean') {
      encoded[key] = value ? '1' : '0'
    } else if (value === '1' || value === '0') {
      encoded[key] = `n__${value}`
    } else if (Array.isArray(value)) {
      for (const item of value) encoded[`${key}:${item}`] = '1'
    } else {
      encoded[key] = String(value)
    }
  }
  return encoded
}

export function decodeTags(encoded: Record<string, unknown>): TagsBase {
  const tags: TagsBase = {}
  for (const [key, value] of Object.entries(encoded)) {
    if (value === '1' && key.includes(':')) {
      const [tagName, ...rest] = key.split(':')
      const item = rest.join(':')
      const existing = tags[tagName]
      tags[tagName] = Array.isArray(existing) ? [...existing, item] : [item]
    } else if (value === '1' || value === '0') {
      tags[key] = value === '1'
    } else if (value === 'n__1' || value === 'n__0') {
      tags[key] = value === 'n__1' ? '1' : '0'
    } else {
      tags[key] = value as string
    }
  }
  return tags
}
