import type { Module } from '@credo-ts/core'
import { ConfigError } from '../config/ConfigError'

const ASKAR_PACKAGES = '@credo-ts/askar@0.5.19 @hyperledger/aries-askar-nodejs@^0.2.3'

/**
 * Loads Askar, an optional dependency that is not in package.json: its install downloads a
 * native library, which fails on air-gapped machines. `requireModule` stands in for `require`
 * in tests.
 */
export function loadAskarModule(requireModule: (name: string) => unknown = require): Module {
  try {
    // Computed names keep bundlers and tsc from resolving these optional packages at build time.
    const { AskarModule } = requireModule(['@credo-ts', 'askar'].join('/')) as {
      AskarModule: new (options: { ariesAskar: unknown }) => Module
    }
    const { ariesAskar } = requireModule(['@hyperledger', 'aries-askar-nodejs'].join('/')) as { ariesAskar: unknown }
    return new AskarModule({ ariesAskar })
  } catch (error) {
    throw new ConfigError([
      {
        field: 'wallet-backend',
        message: [
          `askar was chosen but could not be loaded (${(error as Error).message.split('\n')[0]}).`,
          `Install it next to the runner: yarn add ${ASKAR_PACKAGES} (or npm i ${ASKAR_PACKAGES}).`,
          'Its install script downloads the native Askar library; where that is impossible, install with',
          '--ignore-scripts and point LIB_ARIES_ASKAR_PATH at a libaries_askar.so (.dylib, .dll) you supply.',
          'Or use --wallet-backend portable, which needs no native download.',
        ].join(' '),
      },
    ])
  }
}
