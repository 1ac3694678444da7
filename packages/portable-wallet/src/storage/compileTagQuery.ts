import type { BaseRecord, Query, TagsBase } from '@credo-ts/core'
import type { SqlCondition } from './WalletDatabase'

import { encodeTags } from './askarTagEncoding'

/** Maps an encoded tag (name, value) to the MAC stored in `record_tags.tag`. */
export type TagMac = (name: string, value: string) => Uint8Array

const MATCH_ALL = '1'
const MATCH_NONE = '0'

/**
 * Compiles a Credo tag query into a WHERE condition over `records r`.
 *
 * Each tag equality becomes an indexed `EXISTS` probe on `record_tags (tag, record_id)`;
 * `$and`/`$or`/`$not` become AND/OR/NOT. Semantics follow Askar's WQL:
 * - `undefined`/`null` values add no condition;
 * - an empty `$and` matches everything, an empty `$or` matches nothing (identity elements), so a
 *   caller building `$or` from an empty list never gets every record by accident;
 * - `$not` of a tag also matches records that don't have the tag at all.
 */
export function compileTagQuery<T extends BaseRecord>(query: Query<T>, tagMac: TagMac): SqlCondition {
  const params: Uint8Array[] = []
  const sql = compileNode(query as QueryNode, tagMac, params)
  return { sql, params }
}

interface QueryNode {
  $and?: QueryNode[]
  $or?: QueryNode[]
  $not?: QueryNode
  [tag: string]: unknown
}

function compileNode(node: QueryNode, tagMac: TagMac, params: Uint8Array[]): string {
  const { $and, $or, $not, ...tags } = node
  const clauses: string[] = []

  for (const [name, value] of Object.entries(encodeTags(tags as TagsBase))) {
    if (value === undefined) continue
    params.push(tagMac(name, value))
    clauses.push('EXISTS (SELECT 1 FROM record_tags t WHERE t.tag = ? AND t.record_id = r.id)')
  }

  if ($and) {
    for (const sub of $and) clauses.push(`(${compileNode(sub, tagMac, params)})`)
  }
  if ($or) {
    const alternatives = $or.map((sub) => `(${compileNode(sub, tagMac, params)})`)
    clauses.push(alternatives.length > 0 ? `(${alternatives.join(' OR ')})` : MATCH_NONE)
  }
  if ($not) {
    clauses.push(`NOT (${compileNode($not, tagMac, params)})`)
  }

  return clauses.length > 0 ? clauses.join(' AND ') : MATCH_ALL
}
