export { PortableWalletModule } from './PortableWalletModule'
export {
  PortableWalletModuleConfig,
  DEFAULT_ARGON2_MEM_LIMIT,
  DEFAULT_ARGON2_OPS_LIMIT,
  type PortableWalletArgon2Options,
  type PortableWalletModuleConfigOptions,
} from './PortableWalletModuleConfig'
export { PortableWallet, type OpenPortableStore } from './wallet/PortableWallet'
export { assertPortableWallet } from './wallet/assertPortableWallet'
export { walletFilePath } from './wallet/walletFilePath'
export { SqliteStorageService } from './storage/SqliteStorageService'
export {
  packDidcommV1,
  unpackDidcommV1,
  DIDCOMM_V1_ENC,
  DIDCOMM_V1_TYP,
  type EnvelopeKeyPair,
} from './crypto/didcommV1Envelope'
export { fromBase64Url, toBase64Url } from './crypto/base64url'
export { loadSodium } from './crypto/sodium'
export { boxBeforeNm, boxSeal, boxSealOpen } from './crypto/cryptoBox'
