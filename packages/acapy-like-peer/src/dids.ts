import { sha256 } from './crypto'
import { b64url, fromB64, fromBase58, toBase58, utf8 } from './encoding'

const ED25519_PUB = [0xed, 0x01]
const X25519_PUB = [0xec, 0x01]
const JSON_CODEC = [0x80, 0x04]
const SHA256_MULTIHASH = [0x12, 0x20]

const multibase = (bytes: Iterable<number>) => `z${toBase58(Uint8Array.from(bytes))}`

export const ed25519Multikey = (verkey: string) => multibase([...ED25519_PUB, ...fromBase58(verkey)])

export const didKeyOf = (verkey: string) => `did:key:${ed25519Multikey(verkey)}`

/** A key as base58, from base58 or a did:key (with or without its `#fragment`, as ACA-Py 0.11+ writes routing keys). */
export function verkeyOf(key: string): string {
  if (!key.startsWith('did:key:z6Mk')) return key
  return toBase58(fromBase58(key.split('#')[0].slice('did:key:z'.length)).slice(2))
}

/** The unqualified DID that ACA-Py (`create_local_did`, method sov) derives from a verkey. */
export const unqualifiedDidOf = (verkey: string) => toBase58(fromBase58(verkey).slice(0, 16))

export interface DidCommService {
  endpoint: string
  recipientKeys: string[]
  routingKeys: string[]
}

/**
 * ACA-Py's `DIDDoc.serialize()` for a connection DID: `did:sov:` ids, base58 keys, one IndyAgent
 * service per endpoint, `;indy` then `;indy1`... (`connections/base_manager.py`, `create_did_document`).
 */
export function legacyDidDoc(did: string, verkey: string, endpoints: string | string[]) {
  const id = `did:sov:${did}`
  return {
    '@context': 'https://w3id.org/did/v1',
    id,
    publicKey: [{ id: `${id}#1`, type: 'Ed25519VerificationKey2018', controller: id, publicKeyBase58: verkey }],
    authentication: [{ type: 'Ed25519SignatureAuthentication2018', publicKey: `${id}#1` }],
    service: [endpoints].flat().map((serviceEndpoint, index) => ({
      id: `${id};indy${index === 0 ? '' : index}`,
      type: 'IndyAgent',
      priority: index,
      recipientKeys: [verkey],
      serviceEndpoint,
    })),
  }
}

/** One DIDComm v1 service per endpoint, `#didcomm-0`, `#didcomm-1`..., as ACA-Py's peer DIDs list them. */
const didcommServices = (keyRef: string, endpoints: string | string[]) =>
  [endpoints].flat().map((endpoint, index) => ({
    id: `#didcomm-${index}`,
    type: 'did-communication',
    priority: index,
    recipientKeys: [keyRef],
    routingKeys: [] as string[],
    serviceEndpoint: endpoint,
  }))

/** did:peer:2 as ACA-Py's `create_did_peer_2` writes it: .V signing key, .E agreement key, one .S abbreviated service per endpoint. */
export function didPeer2(verkey: string, x25519PublicKey: Uint8Array, endpoints: string | string[]): string {
  const services = didcommServices('#key-1', endpoints).map(({ type, serviceEndpoint, routingKeys, ...rest }) => ({
    ...rest,
    t: type,
    r: routingKeys,
    s: serviceEndpoint,
  }))
  return `did:peer:2.V${ed25519Multikey(verkey)}.E${multibase([...X25519_PUB, ...x25519PublicKey])}${services
    .map((service) => `.S${b64url(JSON.stringify(service))}`)
    .join('')}`
}

/** did:peer:4 as ACA-Py's `create_did_peer_4` writes it: a Multikey for authentication and agreement. */
export function didPeer4(
  verkey: string,
  endpoints: string | string[],
): { long: string; short: string; inputDoc: object } {
  const inputDoc = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    verificationMethod: [{ id: '#key-0', type: 'Multikey', publicKeyMultibase: ed25519Multikey(verkey) }],
    authentication: ['#key-0'],
    keyAgreement: ['#key-0'],
    service: didcommServices('#key-0', endpoints),
  }
  const encoded = multibase([...JSON_CODEC, ...Buffer.from(JSON.stringify(inputDoc), 'utf8')])
  const hash = multibase([...SHA256_MULTIHASH, ...sha256(Buffer.from(encoded, 'utf8'))])
  return { long: `did:peer:4${hash}:${encoded}`, short: `did:peer:4${hash}`, inputDoc }
}

/** did:peer:1 (genesis doc): the DID is the multihash of the doc stored without its id. */
export function didPeer1(verkey: string, endpoint: string): { did: string; doc: Record<string, unknown> } {
  const stored = {
    '@context': ['https://w3id.org/did/v1'],
    verificationMethod: [
      { id: '#key-1', type: 'Ed25519VerificationKey2018', controller: '#id', publicKeyBase58: verkey },
    ],
    authentication: ['#key-1'],
    service: didcommServices('#key-1', endpoint),
  }
  const did = `did:peer:1${multibase([...SHA256_MULTIHASH, ...sha256(Buffer.from(JSON.stringify(stored), 'utf8'))])}`
  return { did, doc: { ...stored, id: did } }
}

/** The first DIDComm v1 service of a DID doc, in any of the shapes the proxy may answer with. */
export function serviceOfDoc(doc: Record<string, unknown>): DidCommService {
  // Verification methods may be listed, or embedded in a relationship (as Credo writes did:peer:4).
  const methods = ['verificationMethod', 'publicKey', 'authentication', 'keyAgreement', 'assertionMethod']
    .flatMap((field) => (Array.isArray(doc[field]) ? (doc[field] as unknown[]) : []))
    .filter((entry): entry is Record<string, string> => typeof entry === 'object' && entry !== null && 'id' in entry)
  const keyOf = (ref: string): string => {
    if (ref.startsWith('did:key:')) return verkeyOf(ref)
    if (!ref.includes('#') && !ref.includes(';')) return ref
    const method = methods.find(
      (candidate) => candidate.id === ref || ref.endsWith(candidate.id) || candidate.id.endsWith(ref),
    )
    if (!method) throw new Error(`The doc has no key ${ref}: ${JSON.stringify(doc)}`)
    if (method.publicKeyBase58) return method.publicKeyBase58
    return toBase58(fromBase58(method.publicKeyMultibase.slice(1)).slice(2))
  }
  const services = (doc.service as Array<Record<string, unknown>>) ?? []
  const service = services.find((candidate) => ['IndyAgent', 'did-communication'].includes(String(candidate.type)))
  if (!service) throw new Error('The doc has no DIDComm v1 service')
  return {
    endpoint: String(service.serviceEndpoint),
    recipientKeys: (service.recipientKeys as string[]).map(keyOf),
    routingKeys: ((service.routingKeys as string[]) ?? []).map(verkeyOf),
  }
}

/** Resolves a did:peer:2 or a long-form did:peer:4 from the DID alone. */
export function resolvePeerDid(did: string): DidCommService {
  if (did.startsWith('did:peer:4')) {
    const encoded = did.split(':')[3]
    if (!encoded) throw new Error(`A short-form did:peer:4 cannot be resolved alone: ${did}`)
    const doc = JSON.parse(utf8(fromBase58(encoded.slice(1)).slice(2)))
    return serviceOfDoc(doc)
  }
  if (did.startsWith('did:peer:2')) {
    const methods: Array<Record<string, string>> = []
    let service: Record<string, unknown> | undefined
    for (const element of did.slice('did:peer:2.'.length).split('.')) {
      const purpose = element[0]
      const value = element.slice(1)
      if (purpose === 'S') {
        // The first service is the one a DIDComm v1 sender uses.
        if (service) continue
        const abbreviated = JSON.parse(utf8(fromB64(value)))
        service = {
          ...abbreviated,
          type: abbreviated.t === 'dm' ? 'DIDCommMessaging' : abbreviated.t,
          serviceEndpoint: abbreviated.s,
          routingKeys: abbreviated.r ?? [],
        }
      } else {
        methods.push({ id: `#key-${methods.length + 1}`, publicKeyMultibase: value, purpose })
      }
    }
    return serviceOfDoc({ verificationMethod: methods.filter((method) => method.purpose === 'V'), service: [service] })
  }
  throw new Error(`Not a peer DID this agent resolves: ${did}`)
}
