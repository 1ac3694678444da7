import { readFileSync } from 'node:fs'
import { TypedArrayEncoder } from '@credo-ts/core'
import { loadSodium, packDidcommV1 } from '@proxy-mediator/portable-wallet'
import type { ProcessTopology } from './processTopology'

export const DIDCOMM = 'application/didcomm-envelope-enc'
export const FORWARD = 'https://didcomm.org/routing/1.0/forward'

/** Resident memory of a process, from /proc. */
export const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024

export const verkeyOfDidKey = (didKey: string) =>
  TypedArrayEncoder.toBase58(TypedArrayEncoder.fromBase58(didKey.slice('did:key:z'.length)).slice(2))

/** Keys as an attacker on the internet has them: the proxy's public ones, and one nobody holds. */
export interface PublicKeys {
  /** The proxy's routing key (base58), named in every grant. */
  routingKey: string
  /** The key of the agent invitation (base58): public to whoever has the invitation. */
  invitationKey: string
  /** The external mediator's routing key (base58). */
  mediatorKey: string
  mediatorEndpoint: string
  /** A fresh key no agent registered. */
  stranger: string
}

export async function publicKeysOf(topology: ProcessTopology): Promise<PublicKeys> {
  const sodium = await loadSodium()
  const status = await topology.status()
  const invitationUrl = (await topology.proxy.getJson<{ invitation_url: string }>('/retrieve_agent_invitation'))?.body
    .invitation_url as string
  const invitation = JSON.parse(
    Buffer.from(new URL(invitationUrl).searchParams.get('oob') ?? '', 'base64url').toString(),
  )
  const [mediator] = status.mediators
  return {
    routingKey: verkeyOfDidKey(status.upstream.proxyRoutingKey ?? ''),
    invitationKey: verkeyOfDidKey(invitation.services[0].recipientKeys[0]),
    mediatorKey: verkeyOfDidKey(mediator?.routingKeys[0] ?? ''),
    mediatorEndpoint: mediator?.endpoint ?? '',
    stranger: TypedArrayEncoder.toBase58(sodium.crypto_sign_keypair().publicKey),
  }
}

/** An anoncrypt envelope of `plaintext` for `to` (base58), as anybody can pack one for a public key. */
export async function anoncrypt(plaintext: Record<string, unknown>, to: string): Promise<Record<string, unknown>> {
  const sodium = await loadSodium()
  return packDidcommV1(plaintext, [to], (verkey) =>
    sodium.crypto_sign_ed25519_pk_to_curve25519(TypedArrayEncoder.fromBase58(verkey)),
  ) as unknown as Record<string, unknown>
}

/** A forward of `msg` to `to`, packed for `packedFor`. */
export function forwardFor(to: string, msg: Record<string, unknown>, packedFor: string) {
  return anoncrypt(
    { '@type': FORWARD, '@id': `forward-${Math.random().toString(36).slice(2, 10)}`, to, msg },
    packedFor,
  )
}

/** p50, p99 and max of a set of milliseconds, rounded for a report. */
export function percentiles(samples: number[]): { count: number; p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0
  const round = (value: number) => Math.round(value * 10) / 10
  return { count: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) }
}

/**
 * Probes `GET /health` one request after another until `stop()` says so; resolves with the round
 * trips in milliseconds. What an attack costs everyone else, measured, never asserted.
 */
export async function probeHealth(baseUrl: string, stop: () => boolean): Promise<number[]> {
  const samples: number[] = []
  while (!stop()) {
    const started = performance.now()
    const response = await fetch(`${baseUrl}/health`)
    await response.arrayBuffer()
    samples.push(performance.now() - started)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return samples
}
