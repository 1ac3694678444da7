import { JsonEncoder, getAlternativeDidsForPeerDid, isValidPeerDid } from '@credo-ts/core'
import type { Attachment } from '@credo-ts/core'

const SHORT_FORM = /^did:peer:4z[1-9a-km-zA-HJ-NP-Z]{46}$/

/**
 * A did:peer:4 request in short form can only be resolved from its long form. When the attached doc
 * names that long form (as `id` or in `alsoKnownAs`, the two ways a did:peer:4 doc is written) and
 * it belongs to the short form, the long form is returned, for Credo to resolve: resolving checks
 * that the short form is the hash of the long form's document, so the attachment cannot smuggle in
 * another document.
 */
export function longFormOfShortPeerDid4(did: string, attachment: Attachment | undefined): string | undefined {
  if (!SHORT_FORM.test(did) || !attachment?.data.base64) return undefined
  let doc: { id?: unknown; alsoKnownAs?: unknown }
  try {
    doc = JsonEncoder.fromBase64(attachment.data.base64)
  } catch {
    return undefined
  }
  const candidates = [doc.id, ...(Array.isArray(doc.alsoKnownAs) ? doc.alsoKnownAs : [])]
  return candidates.find(
    (candidate): candidate is string =>
      typeof candidate === 'string' &&
      candidate !== did &&
      isValidPeerDid(candidate) &&
      (getAlternativeDidsForPeerDid(candidate) ?? []).includes(did),
  )
}
