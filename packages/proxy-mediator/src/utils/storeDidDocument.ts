import { type AgentContext, type DidDocument, DidDocumentRole, DidRecord, DidRepository } from '@credo-ts/core'

/**
 * Keeps a DID document of a connection that Credo cannot resolve from the DID alone (a legacy doc,
 * stored as did:peer:1): where Credo's resolver finds it, and where an inbound message is matched to
 * its sender by key. `Received` for the other side's, `Created` for the proxy's own. A record of
 * that DID and role that exists already is kept as it is.
 */
export async function storeDidDocument(
  agentContext: AgentContext,
  didDocument: DidDocument,
  role: DidDocumentRole,
): Promise<string> {
  const didRepository = agentContext.dependencyManager.resolve(DidRepository)
  const existing =
    role === DidDocumentRole.Received
      ? await didRepository.findReceivedDid(agentContext, didDocument.id)
      : await didRepository.findCreatedDid(agentContext, didDocument.id)
  if (!existing) {
    await didRepository.save(
      agentContext,
      new DidRecord({
        did: didDocument.id,
        role,
        didDocument,
        tags: { recipientKeyFingerprints: didDocument.recipientKeys.map((key) => key.fingerprint) },
      }),
    )
  }
  return didDocument.id
}
