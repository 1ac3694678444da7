import { randomUUID } from 'node:crypto'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type KeyPair, newKeyPair, ready, verify, x25519PublicOf } from './crypto'
import {
  type DidCommService,
  didKeyOf,
  didPeer1,
  didPeer2,
  didPeer4,
  legacyDidDoc,
  resolvePeerDid,
  serviceOfDoc,
  unqualifiedDidOf,
  verkeyOf,
} from './dids'
import { fromB64, utf8 } from './encoding'
import { type Envelope, pack, unpack } from './envelope'
import { forwarded } from './forward'
import { serviceOfAttachedDoc, signedAttachment, verifiedAttachment } from './jws'
import { LEGACY_PREFIX, type Message, NEW_PREFIX } from './messageTypes'

/** The handshakes ACA-Py 0.7 to 1.x use to connect to a mediator. */
export type Handshake =
  | { protocol: 'connections/1.0' }
  | {
      protocol: 'didexchange/1.0' | 'didexchange/1.1'
      did: 'unqualified' | 'peer:1' | 'peer:2' | 'peer:4-long' | 'peer:4-short'
    }

export interface AgentOptions {
  /** `did:sov:…;spec/` on every message ACA-Py writes with the legacy prefix. @default false */
  legacyPrefix?: boolean
  /**
   * No endpoint of its own, as a mediation client behind a firewall: its DID documents name
   * `didcomm:transport/queue`, every message it sends asks for `return_route: all`, and the answer
   * comes in the HTTP response. @default false
   */
  queueEndpoint?: boolean
  /** How keylist-update writes keys. @default 'did:key' */
  keyFormat?: 'did:key' | 'base58'
  label?: string
}

/** For refused cases: what to write instead of what ACA-Py would. */
export interface Tamper {
  /** Another DID in the request (and in its attached legacy doc). */
  did?: string
  /** Sign the attached doc with another key. */
  signer?: KeyPair
}

export interface Connection {
  ourKey: KeyPair
  theirKey: string
  theirService: DidCommService
  theirDid: string
}

/**
 * An agent that behaves as ACA-Py does toward its mediator, written from the Aries RFCs and
 * ACA-Py's message shapes with no Credo code: it has an HTTP endpoint only (it never polls),
 * connects with one of ACA-Py's handshakes, requests mediation, registers a key, and records
 * every message posted to it.
 */
export class AcapyLikeAgent {
  public readonly received: Message[] = []
  public readonly problemReports: Message[] = []
  public endpoint = ''
  private server?: Server
  private readonly keys: KeyPair[] = []
  private readonly waiters = new Set<() => void>()
  public connection?: Connection
  /** The `@id` (thread) of the last DID exchange request sent. */
  public lastRequestId?: string
  public grant?: { endpoint: string; routingKeys: string[] }
  /** The key this agent registers with its mediator, for its own connections. */
  public readonly routedKey: KeyPair

  private constructor(private readonly options: AgentOptions) {
    this.routedKey = newKeyPair()
    this.keys.push(this.routedKey)
  }

  public static async start(options: AgentOptions = {}): Promise<AcapyLikeAgent> {
    await ready()
    const agent = new AcapyLikeAgent(options)
    await agent.listen()
    return agent
  }

  /** The endpoint its DID documents name. */
  private get docEndpoint(): string {
    return this.options.queueEndpoint ? 'didcomm:transport/queue' : this.endpoint
  }

  private type(name: string): string {
    return `${this.options.legacyPrefix ? LEGACY_PREFIX : NEW_PREFIX}${name}`
  }

  private listen(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk) => chunks.push(chunk))
      request.on('end', () => {
        try {
          this.receive(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Envelope)
          response.writeHead(200).end()
        } catch (error) {
          response.writeHead(400, { 'content-type': 'text/plain' }).end((error as Error).message)
        }
      })
    })
    return new Promise((resolve) =>
      this.server?.listen(0, '127.0.0.1', () => {
        this.endpoint = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`
        resolve()
      }),
    )
  }

  public async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise((resolve) => this.server?.close(resolve))
  }

  private receive(envelope: Envelope) {
    const { message } = unpack(envelope, this.keys)
    const typed = message as Message
    if (/problem[-_]report$/.test(typed['@type'])) this.problemReports.push(typed)
    this.received.push(typed)
    for (const wake of this.waiters) wake()
  }

  /** The first message received (from now on or before) that matches, or an error after `timeoutMs`. */
  public waitFor(predicate: (message: Message) => boolean, what: string, timeoutMs = 20_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(predicate)
        if (!found) return false
        this.waiters.delete(check)
        clearTimeout(timer)
        resolve(found)
        return true
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        const problems = this.problemReports.map((report) => JSON.stringify(report.description ?? report))
        reject(new Error(`Timed out waiting for ${what}; problem reports: ${problems.join(' | ') || 'none'}`))
      }, timeoutMs)
      this.waiters.add(check)
      check()
    })
  }

  public waitForType(name: string, thid?: string, timeoutMs?: number): Promise<Message> {
    return this.waitFor(
      (message) =>
        message['@type'].endsWith(`/${name}`) &&
        (thid === undefined || (message['~thread'] as { thid?: string } | undefined)?.thid === thid),
      name,
      timeoutMs,
    )
  }

  private async post(service: DidCommService, message: object, sender: KeyPair): Promise<void> {
    const sent = this.options.queueEndpoint ? { ...message, '~transport': { return_route: 'all' } } : message
    const envelope = forwarded(
      pack(sent, service.recipientKeys, sender),
      service.recipientKeys[0],
      service.routingKeys,
      {
        forwardType: this.type('routing/1.0/forward'),
      },
    )
    const response = await fetch(service.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/didcomm-envelope-enc' },
      body: JSON.stringify(envelope),
    })
    const body = await response.text()
    if (response.status >= 300) throw new Error(`POST ${service.endpoint}: HTTP ${response.status} ${body}`)
    if (this.options.queueEndpoint && body) this.receive(JSON.parse(body) as Envelope)
  }

  /** Sends a message on the connection, as ACA-Py does: authcrypted, to the mediator's endpoint. */
  public async send(message: object): Promise<void> {
    const connection = this.requireConnection()
    await this.post(connection.theirService, message, connection.ourKey)
  }

  /** Accepts an invitation URL (`?oob=` or `?c_i=`) with one of ACA-Py's handshakes. */
  public async connect(invitationUrl: string, handshake: Handshake, tamper: Tamper = {}): Promise<Connection> {
    const params = new URL(invitationUrl).searchParams
    const encoded = params.get('oob') ?? params.get('c_i')
    if (!encoded) throw new Error(`Not an invitation URL: ${invitationUrl}`)
    const invitation = JSON.parse(utf8(fromB64(encoded)))
    const isOutOfBand = params.has('oob')
    const service = isOutOfBand ? invitation.services[0] : invitation
    const invitationKey = verkeyOf(service.recipientKeys[0])
    const invitationService: DidCommService = {
      endpoint: service.serviceEndpoint,
      recipientKeys: [invitationKey],
      routingKeys: (service.routingKeys ?? []).map(verkeyOf),
    }
    const ourKey = newKeyPair()
    this.keys.push(ourKey)
    const thid = randomUUID()
    const thread = isOutOfBand ? { thid, pthid: invitation['@id'] } : undefined

    if (handshake.protocol === 'connections/1.0') {
      const did = unqualifiedDidOf(ourKey.verkey)
      await this.post(
        invitationService,
        {
          '@type': this.type('connections/1.0/request'),
          '@id': thid,
          ...(thread ? { '~thread': thread } : {}),
          label: this.options.label ?? 'acapy-like agent',
          connection: { DID: did, DIDDoc: legacyDidDoc(did, ourKey.verkey, this.docEndpoint) },
        },
        ourKey,
      )
      const response = await this.waitForType('response', thid)
      const connection = this.acceptConnectionResponse(response, invitationKey, ourKey)
      // ACA-Py pings after a connections 1.0 response, which completes the connection on the other side.
      await this.send({ '@type': this.type('trust_ping/1.0/ping'), '@id': randomUUID(), response_requested: false })
      return connection
    }

    const ours = this.ourDid(handshake.did, ourKey)
    const did = tamper.did ?? ours.did
    const attachment =
      tamper.did || tamper.signer
        ? signedAttachment(
            legacyDidDoc(did.replace(/^did:sov:/, ''), ourKey.verkey, this.docEndpoint),
            tamper.signer ?? ourKey,
          )
        : ours.attachment
    this.lastRequestId = thid
    const version = handshake.protocol.split('/')[1]
    await this.post(
      invitationService,
      {
        '@type': this.type(`didexchange/${version}/request`),
        '@id': thid,
        '~thread': thread ?? { thid },
        label: this.options.label ?? 'acapy-like agent',
        did,
        ...(attachment ? { 'did_doc~attach': attachment } : {}),
      },
      ourKey,
    )
    const response = await this.waitForType('response', thid)
    if (!response['@type'].includes(`/didexchange/${version}/`)) {
      throw new Error(`Asked for didexchange/${version}, answered with ${response['@type']}`)
    }
    const connection = this.acceptDidExchangeResponse(response, invitationKey, ourKey)
    const responseThread = response['~thread'] as { thid?: string; pthid?: string }
    // ACA-Py's `complete` copies the response's thread, and its schema requires both thid and pthid.
    if (!responseThread?.thid || !responseThread.pthid) {
      throw new Error(`The response's ~thread lacks thid or pthid: ${JSON.stringify(responseThread)}`)
    }
    await this.send({
      '@type': this.type(`didexchange/${version}/complete`),
      '@id': randomUUID(),
      '~thread': { thid: responseThread.thid, pthid: responseThread.pthid },
    })
    return connection
  }

  /** The DID and attachment of a request, as ACA-Py writes each kind. */
  private ourDid(kind: Extract<Handshake, { did: unknown }>['did'], ourKey: KeyPair) {
    switch (kind) {
      case 'unqualified': {
        const did = unqualifiedDidOf(ourKey.verkey)
        return { did, attachment: signedAttachment(legacyDidDoc(did, ourKey.verkey, this.docEndpoint), ourKey) }
      }
      case 'peer:1': {
        const { did, doc } = didPeer1(ourKey.verkey, this.docEndpoint)
        return { did, attachment: signedAttachment(doc, ourKey) }
      }
      case 'peer:2':
        return { did: didPeer2(ourKey.verkey, x25519PublicOf(ourKey.verkey), this.docEndpoint), attachment: undefined }
      case 'peer:4-long':
        return { did: didPeer4(ourKey.verkey, this.docEndpoint).long, attachment: undefined }
      case 'peer:4-short': {
        // The short form resolves only through the long form: the attached doc is the one the
        // did:peer:4 spec resolves a short form to, which names the long form in alsoKnownAs.
        const { long, short, inputDoc } = didPeer4(ourKey.verkey, this.docEndpoint)
        return { did: short, attachment: signedAttachment({ ...inputDoc, id: short, alsoKnownAs: [long] }, ourKey) }
      }
    }
  }

  private acceptConnectionResponse(response: Message, invitationKey: string, ourKey: KeyPair): Connection {
    const signed = response['connection~sig'] as { signature: string; sig_data: string; signer: string }
    if (signed.signer !== invitationKey) throw new Error('connection~sig is not by the invitation key')
    const data = fromB64(signed.sig_data)
    if (!verify(fromB64(signed.signature), data, signed.signer)) throw new Error('connection~sig does not verify')
    // The first 8 bytes are a timestamp; the rest is the connection.
    const { DID, DIDDoc } = JSON.parse(utf8(data.slice(8)))
    const theirService = serviceOfDoc(DIDDoc)
    this.connection = { ourKey, theirKey: theirService.recipientKeys[0], theirService, theirDid: DID }
    return this.connection
  }

  /** ACA-Py's `accept_response`: a signed doc, or a signed DID rotation, both by the invitation key. */
  private acceptDidExchangeResponse(response: Message, invitationKey: string, ourKey: KeyPair): Connection {
    const did = String(response.did)
    let theirService: DidCommService
    if (response['did_doc~attach']) {
      theirService = serviceOfAttachedDoc(response['did_doc~attach'], did, invitationKey)
    } else {
      if (!response['did_rotate~attach']) throw new Error('did_rotate~attach required if no signed doc attachment')
      const signedDid = utf8(verifiedAttachment(response['did_rotate~attach'], invitationKey))
      if (signedDid !== did) throw new Error(`The response DID ${did} does not match the signed rotation ${signedDid}`)
      theirService = resolvePeerDid(did)
    }
    this.connection = { ourKey, theirKey: theirService.recipientKeys[0], theirService, theirDid: did }
    return this.connection
  }

  /** ACA-Py's mediation request, retried while the proxy answers that it is not ready yet. */
  public async requestMediation(): Promise<{ endpoint: string; routingKeys: string[] }> {
    const thid = randomUUID()
    await this.send({ '@type': this.type('coordinate-mediation/1.0/mediate-request'), '@id': thid })
    const grant = await this.waitForType('mediate-grant', thid)
    this.grant = { endpoint: String(grant.endpoint), routingKeys: (grant.routing_keys as string[]).map(verkeyOf) }
    return this.grant
  }

  /**
   * A mediate-grant that names another route than the one held, applied as ACA-Py's
   * `MediationManager.request_granted` does: whatever the record's state, the grant's endpoint and
   * routing keys replace those of the mediation.
   */
  public async takeNewGrant(timeoutMs?: number): Promise<{ endpoint: string; routingKeys: string[] }> {
    const held = this.grant
    const grant = await this.waitFor(
      (message) =>
        message['@type'].endsWith('/mediate-grant') &&
        (String(message.endpoint) !== held?.endpoint ||
          (message.routing_keys as string[]).map(verkeyOf).join() !== held?.routingKeys.join()),
      'a mediate-grant with a new route',
      timeoutMs,
    )
    this.grant = { endpoint: String(grant.endpoint), routingKeys: (grant.routing_keys as string[]).map(verkeyOf) }
    return this.grant
  }

  /** Registers `key` (our routed key by default) and returns the keylist-update-response's entry. */
  public async registerKey(key: string = this.routedKey.verkey, action: 'add' | 'remove' = 'add') {
    const written = this.options.keyFormat === 'base58' ? key : didKeyOf(key)
    const thid = randomUUID()
    await this.send({
      '@type': this.type('coordinate-mediation/1.0/keylist-update'),
      '@id': thid,
      updates: [{ recipient_key: written, action }],
    })
    const response = await this.waitForType('keylist-update-response', thid)
    return { written, updated: (response.updated as Array<Record<string, string>>)[0] }
  }

  public async queryKeylist(): Promise<string[]> {
    const thid = randomUUID()
    await this.send({
      '@type': this.type('coordinate-mediation/1.0/keylist-query'),
      '@id': thid,
      paginate: { limit: 30, offset: 0 },
    })
    const keylist = await this.waitForType('keylist', thid)
    return (keylist.keys as Array<{ recipient_key: string }>).map((entry) => entry.recipient_key)
  }

  /** The basic messages relayed to this agent, in order of arrival. */
  public basicMessages(): string[] {
    return this.received
      .filter((message) => message['@type'].endsWith('/basicmessage/1.0/message'))
      .map((message) => String(message.content))
  }

  private requireConnection(): Connection {
    if (!this.connection) throw new Error('Not connected')
    return this.connection
  }
}
