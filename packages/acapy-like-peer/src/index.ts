export {
  AcapyLikeAgent,
  type AgentOptions,
  type Connection,
  type Handshake,
  type Tamper,
} from './AcapyLikeAgent'
export { LEGACY_PREFIX, NEW_PREFIX } from './messageTypes'
export { ForwardingSender, type Route } from './sender'
export { pack, unpack, type Envelope, type PackOptions } from './envelope'
export { newKeyPair, ready, type KeyPair } from './crypto'
export { didKeyOf, didPeer4, legacyDidDoc, unqualifiedDidOf } from './dids'
export { signedAttachment, type SignOptions } from './jws'
export {
  AcapyLikeMediator,
  type AcapyLikeMediatorOptions,
  type ForwardRecord,
  type InvitationHandshake,
} from './mediator/AcapyLikeMediator'
export type { AcapyGeneration } from './mediator/MediatorSettings'
