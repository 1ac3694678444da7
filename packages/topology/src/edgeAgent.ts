import { randomBytes } from 'node:crypto'
import {
  type Agent,
  BasicMessageEventTypes,
  BasicMessageRole,
  type BasicMessageStateChangedEvent,
  type ConnectionRecord,
  DidExchangeState,
  DidKey,
  Key,
  KeyType,
  KeylistUpdate,
  KeylistUpdateAction,
  KeylistUpdateMessage,
  KeylistUpdateResponseMessage,
  type KeylistUpdated,
  MediationRecipientModule,
  MediationRepository,
  MediatorPickupStrategy,
  MessageSender,
  OutboundMessageContext,
  TypedArrayEncoder,
} from '@credo-ts/core'
import type { InitConfig, LogLevel } from '@credo-ts/core'
import { type RoleAgent, type RoleTls, startRoleAgent } from './buildAgent'

export type EdgeAgentModules = { mediationRecipient: MediationRecipientModule }
export type EdgeAgent = RoleAgent<EdgeAgentModules> & {
  /** Contents of the basic messages received, in arrival order (duplicates included). */
  received: string[]
}

export interface EdgeAgentOptions {
  port: number
  /** The base URL to advertise. @default http://127.0.0.1:<port> */
  endpoint?: string
  label: string
  storagePath?: string
  walletKey?: string
  logLevel?: LogLevel
  config?: Partial<InitConfig>
  /** Its endpoint over HTTPS with this certificate. */
  tls?: RoleTls
  /** The fetch its messages go out with (e.g. through an egress proxy). @default Node's */
  fetch?: typeof fetch
}

/**
 * An agent that has an HTTP endpoint and nothing else, and never polls: the kind of agent
 * (ACA-Py, for one) that the proxy exists for. It also plays the sender.
 */
export async function startEdgeAgent(options: EdgeAgentOptions): Promise<EdgeAgent> {
  const role = await startRoleAgent({
    label: options.label,
    port: options.port,
    endpoint: options.endpoint,
    storagePath: options.storagePath,
    walletKey: options.walletKey,
    logLevel: options.logLevel,
    config: options.config,
    tls: options.tls,
    fetch: options.fetch,
    modules: {
      mediationRecipient: new MediationRecipientModule({ mediatorPickupStrategy: MediatorPickupStrategy.None }),
    },
  })
  const received: string[] = []
  role.agent.events.on<BasicMessageStateChangedEvent>(BasicMessageEventTypes.BasicMessageStateChanged, (event) => {
    if (event.payload.basicMessageRecord.role === BasicMessageRole.Receiver)
      received.push(event.payload.message.content)
  })
  return Object.assign(role, { received })
}

/** What an integration script does with the proxy's invitation: connect, request mediation, make it the default. */
export async function useProxyAsMediator(agent: Agent, proxyInvitationUrl: string, timeoutMs = 20_000) {
  const { connectionRecord } = await agent.oob.receiveInvitationFromUrl(proxyInvitationUrl)
  if (!connectionRecord) throw new Error('Receiving the proxy invitation made no connection')
  const connection = await agent.connections.returnWhenIsConnected(connectionRecord.id, { timeoutMs })
  const mediationRecord = await agent.mediationRecipient.requestAndAwaitGrant(connection, timeoutMs)
  await agent.mediationRecipient.setDefaultMediator(mediationRecord)
  return { connection, mediationRecord }
}

/** An invitation whose service uses the agent's default mediator routing (the proxy's grant). */
export async function createMediatedInvitationUrl(agent: Agent, domain = 'https://example.org'): Promise<string> {
  return (await createMediatedInvitation(agent, domain)).url
}

/** The same, with the out-of-band record's id. */
export async function createMediatedInvitation(
  agent: Agent,
  domain = 'https://example.org',
): Promise<{ url: string; outOfBandId: string }> {
  const record = await agent.oob.createInvitation()
  return { url: record.outOfBandInvitation.toUrl({ domain }), outOfBandId: record.id }
}

/**
 * Asks the default mediator for mediation again on the same connection, and keeps the fresh grant:
 * Credo 0.5 takes a grant only while its request is pending (and one recipient record per
 * connection), so the old record is deleted first. Keys registered before stay registered with the
 * mediator (they belong to its record of the connection); new connections use the new grant.
 */
export async function requestMediationAgain(agent: Agent, timeoutMs = 20_000) {
  const current = await agent.mediationRecipient.findDefaultMediator()
  if (!current) throw new Error('The agent has no default mediator to ask again')
  const connection = await agent.connections.getById(current.connectionId)
  await agent.dependencyManager.resolve(MediationRepository).delete(agent.context, current)
  const record = await agent.mediationRecipient.requestAndAwaitGrant(connection, timeoutMs)
  await agent.mediationRecipient.setDefaultMediator(record)
  return { endpoint: record.endpoint, routingKeys: record.routingKeys }
}

/**
 * Sends the default mediator a keylist-update that removes the keys of an invitation and of every
 * connection made through it; returns them as did:key.
 */
export async function removeInvitationKeys(agent: Agent, outOfBandId: string): Promise<string[]> {
  const mediator = await agent.mediationRecipient.findDefaultMediator()
  if (!mediator) throw new Error('The agent has no default mediator')
  const mediatorConnection = await agent.connections.getById(mediator.connectionId)
  const outOfBand = await agent.oob.getById(outOfBandId)
  const keys = new Set<string>()
  for (const service of outOfBand.outOfBandInvitation.getInlineServices()) {
    for (const recipientKey of service.recipientKeys) keys.add(DidKey.fromDid(recipientKey).key.publicKeyBase58)
  }
  for (const connection of await agent.connections.findAllByOutOfBandId(outOfBandId)) {
    if (!connection.did) continue
    const document = await agent.dids.resolveDidDocument(connection.did)
    for (const key of document.recipientKeys) keys.add(key.publicKeyBase58)
  }
  for (const key of keys) {
    await agent.mediationRecipient.notifyKeylistUpdate(mediatorConnection, key, KeylistUpdateAction.remove)
  }
  return [...keys].map((key) => new DidKey(Key.fromPublicKeyBase58(key, KeyType.Ed25519)).did)
}

/** What the mediator answered for each key of a keylist-update: `success`, `no_change`, `client_error`... */
export type KeylistResults = Record<string, number>

/** The keylist-updates of `registerKeys` waiting for their answer, by thread, per agent. */
const awaitedKeylists = new WeakMap<Agent, Map<string, (updated: KeylistUpdated[]) => void>>()

/**
 * Registers `keys` (base58) with the default mediator, `batchSize` to a keylist-update, each batch
 * awaited; returns how the mediator answered, counted by result. An update the mediator refuses
 * gets no answer: it fails after `timeoutMs`.
 *
 * The agent keeps no keylist of its own for these, as ACA-Py keeps a route per key: Credo's
 * recipient rewrites its whole mediation record on every answer, which with tens of thousands of
 * keys blocks its event loop for seconds (long enough for its keep-alive socket to the mediator to
 * go stale), and would measure Credo's bookkeeping rather than the mediator's.
 */
export async function registerKeys(
  agent: Agent,
  keys: readonly string[],
  { batchSize = 1_000, timeoutMs = 60_000 } = {},
): Promise<KeylistResults> {
  const mediator = await agent.mediationRecipient.findDefaultMediator()
  if (!mediator) throw new Error('The agent has no default mediator')
  const connection = await agent.connections.getById(mediator.connectionId)
  const waiting = answersFor(agent)
  const results: KeylistResults = {}
  for (let start = 0; start < keys.length; start += batchSize) {
    const message = new KeylistUpdateMessage({
      updates: keys.slice(start, start + batchSize).map(
        (key) =>
          new KeylistUpdate({
            recipientKey: new DidKey(Key.fromPublicKeyBase58(key, KeyType.Ed25519)).did,
            action: KeylistUpdateAction.add,
          }),
      ),
    })
    let timer: NodeJS.Timeout | undefined
    const answered = new Promise<KeylistUpdated[]>((resolve, reject) => {
      timer = setTimeout(() => {
        waiting.delete(message.threadId)
        reject(new Error(`No keylist-update-response within ${timeoutMs} ms (the mediator refused the update?)`))
      }, timeoutMs)
      waiting.set(message.threadId, (updated) => {
        clearTimeout(timer)
        waiting.delete(message.threadId)
        resolve(updated)
      })
    })
    try {
      await agent.dependencyManager
        .resolve(MessageSender)
        .sendMessage(new OutboundMessageContext(message, { agentContext: agent.context, connection }))
    } catch (error) {
      // Nothing will answer: without this, the timer would later reject a promise no one awaits.
      clearTimeout(timer)
      waiting.delete(message.threadId)
      throw error
    }
    for (const { result } of await answered) results[result] = (results[result] ?? 0) + 1
  }
  return results
}

/** The waiting updates of this agent, and once per agent the middleware that hands them their answer. */
function answersFor(agent: Agent): Map<string, (updated: KeylistUpdated[]) => void> {
  let waiting = awaitedKeylists.get(agent)
  if (!waiting) {
    const answers = new Map<string, (updated: KeylistUpdated[]) => void>()
    agent.dependencyManager.registerMessageHandlerMiddleware(async (messageContext, next) => {
      const { message } = messageContext
      const answer = message instanceof KeylistUpdateResponseMessage ? answers.get(message.threadId) : undefined
      // An answer to registerKeys skips Credo's recipient bookkeeping (see above).
      if (answer) answer((message as KeylistUpdateResponseMessage).updated)
      else await next()
    })
    awaitedKeylists.set(agent, answers)
    waiting = answers
  }
  return waiting
}

/** `count` Ed25519 public keys (base58) that no wallet holds: keys to register, never to decrypt with. */
export function randomVerkeys(count: number): string[] {
  return Array.from({ length: count }, () => TypedArrayEncoder.toBase58(randomBytes(32)))
}

/** The sender side: accept an invitation and wait until the connection is complete. */
export async function connectTo(agent: Agent, invitationUrl: string, timeoutMs = 20_000): Promise<ConnectionRecord> {
  const { connectionRecord } = await agent.oob.receiveInvitationFromUrl(invitationUrl)
  if (!connectionRecord) throw new Error('Receiving the invitation made no connection')
  return agent.connections.returnWhenIsConnected(connectionRecord.id, { timeoutMs })
}

/**
 * Resolves once a connection made through this invitation is complete on the inviter's side too.
 * The invitee counts itself connected as soon as it has sent its last handshake message, which may
 * still be on its way through the mediators: a test that changes the inviter's keys before it
 * arrives would dead-letter that message, not the ones the test sends.
 */
export async function awaitInvitationConnected(agent: Agent, outOfBandId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const connections = await agent.connections.findAllByOutOfBandId(outOfBandId)
    // Not `isReady`: for the inviter that already holds once its response is sent.
    const completed = connections.find((connection) => connection.state === DidExchangeState.Completed)
    if (completed) return completed.id
    if (Date.now() > deadline) {
      throw new Error(
        `No connection through invitation ${outOfBandId} completed within ${timeoutMs} ms; states: ${connections.map((c) => c.state).join(', ') || 'none'}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Resolves once `count()` reaches `expected`, or rejects after `timeoutMs` with what was seen. */
export async function waitFor(count: () => number, expected: number, timeoutMs: number, what = 'messages') {
  const deadline = Date.now() + timeoutMs
  while (count() < expected) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${expected} ${what}; have ${count()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
