import sodium from 'libsodium-wrappers-sumo'

/**
 * libsodium is a WebAssembly module that must finish loading before any call. Every async entry
 * point of the wallet awaits `loadSodium()` once; sync helpers use `readySodium()`, which fails
 * loudly instead of returning garbage if something skipped the async path.
 */
let loaded = false

export async function loadSodium(): Promise<typeof sodium> {
  if (!loaded) {
    await sodium.ready
    loaded = true
  }
  return sodium
}

export function readySodium(): typeof sodium {
  if (!loaded) {
    throw new Error('libsodium is not loaded yet: await loadSodium() before using the portable wallet')
  }
  return sodium
}

export type Sodium = typeof sodium
