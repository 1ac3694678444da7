import { verkeyOf } from '../dids'

/** `normalize_from_did_key`: a did:key (with or without its `#fragment`) as the raw base58 verkey. */
export function normalizeKey(key: string): string {
  return verkeyOf(key.split('#')[0])
}
