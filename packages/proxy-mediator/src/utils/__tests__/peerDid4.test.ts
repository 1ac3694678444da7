import {
  Attachment,
  AttachmentData,
  JsonEncoder,
  MultiBaseEncoder,
  MultiHashEncoder,
  TypedArrayEncoder,
} from '@credo-ts/core'
import { longFormOfShortPeerDid4 } from '../peerDid4'

/** did:peer:4 by its spec: multibase(json multicodec 0x0200 + doc), and its sha-256 multihash as the short form. */
function peerDid4(doc: object) {
  const encoded = MultiBaseEncoder.encode(
    Buffer.concat([Buffer.from([0x80, 0x04]), Buffer.from(JSON.stringify(doc))]),
    'base58btc',
  )
  const hash = MultiBaseEncoder.encode(
    MultiHashEncoder.encode(TypedArrayEncoder.fromString(encoded), 'sha-256'),
    'base58btc',
  )
  return { short: `did:peer:4${hash}`, long: `did:peer:4${hash}:${encoded}` }
}

const attached = (doc: object) => new Attachment({ data: new AttachmentData({ base64: JsonEncoder.toBase64(doc) }) })
const inputDoc = { service: [{ id: '#didcomm', type: 'did-communication', serviceEndpoint: 'http://127.0.0.1:9' }] }

describe('longFormOfShortPeerDid4', () => {
  const { short, long } = peerDid4(inputDoc)

  it('finds the long form in the id or in alsoKnownAs of the attached doc', () => {
    expect(longFormOfShortPeerDid4(short, attached({ id: long, alsoKnownAs: [short] }))).toBe(long)
    expect(longFormOfShortPeerDid4(short, attached({ id: short, alsoKnownAs: [long] }))).toBe(long)
  })

  it('ignores a long form of another short form, a long-form request and a missing attachment', () => {
    const other = peerDid4({ ...inputDoc, note: 'another document' })
    expect(longFormOfShortPeerDid4(short, attached({ id: short, alsoKnownAs: [other.long] }))).toBeUndefined()
    expect(longFormOfShortPeerDid4(long, attached({ id: long }))).toBeUndefined()
    expect(longFormOfShortPeerDid4(short, undefined)).toBeUndefined()
    expect(longFormOfShortPeerDid4('did:peer:2.Ez6Lsxyz', attached({ id: long }))).toBeUndefined()
  })
})
