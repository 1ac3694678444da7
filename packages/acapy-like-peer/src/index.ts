export {
  AcapyLikeAgent,
  type AgentOptions,
  type Connection,
  type Handshake,
  type Tamper,
  LEGACY_PREFIX,
  NEW_PREFIX,
} from './AcapyLikeAgent'
export { ForwardingSender, type Route } from './sender'
export { pack, unpack, type Envelope, type PackOptions } from './envelope'
export { newKeyPair, ready, type KeyPair } from './crypto'
