import { RoleEnv, type RoleReady, RoleProcess, freePort, stopAllChildren, until } from '@proxy-mediator/topology'
import { runnableModuleSample } from './readmeSamples'
import { startInApp } from './appProcess'
import { compileRole } from './sampleInApp'
import type { ScratchApp } from './scratchApp'

const STARTUP_TIMEOUT_MS = 60_000
const DELIVERY_TIMEOUT_MS = 60_000

/** What app/proxyRole.ts reports once the README's sample has run. */
interface ProxyReady extends RoleReady {
  invitationUrl: string
  credoVersion: string
  legacyDocHelperFound: boolean
}

export interface RelayOutcome {
  delivered: number
  sent: number
  /** The release of `@credo-ts/core` the proxy process loaded. */
  proxyCredoVersion: string
}

/**
 * The README's sample run for real in the app, as the proxy between a stock Credo external
 * mediator and an agent with an HTTP endpoint only (the monorepo's topology roles, each in its own
 * process, on the monorepo's Credo): the agent takes the proxy's invitation and mediation, a sender
 * connects to the agent through the route the grant names, and sends `messages` basic messages.
 * Throws unless every one of them reaches the agent, the proxy ran on the app's Credo, and Credo's
 * helper that the module deep-imports is there.
 */
export async function relayThroughApp(app: ScratchApp, messages: number, workDir: string): Promise<RelayOutcome> {
  const [mediatorPort, proxyPort, agentPort, senderPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ])
  const mediator = RoleProcess.start('mediator', 'externalMediatorRole', { [RoleEnv.port]: String(mediatorPort) })
  const agent = RoleProcess.start('agent', 'edgeAgentRole', { [RoleEnv.port]: String(agentPort) })
  const sender = RoleProcess.start('sender', 'senderRole', { [RoleEnv.port]: String(senderPort) })
  try {
    await Promise.all([mediator, agent, sender].map((role) => role.ready(STARTUP_TIMEOUT_MS)))
    const entry = compileRole(
      app,
      'proxyRole',
      runnableModuleSample({
        endpoint: `http://127.0.0.1:${proxyPort}`,
        port: proxyPort,
        mediatorInvitationUrl: await mediator.request<string>('invitation'),
      }),
    )
    const proxy = startInApp(app, 'proxy', entry, workDir)
    const ready = (await proxy.ready(STARTUP_TIMEOUT_MS)) as ProxyReady

    await agent.request('useProxy', ready.invitationUrl)
    await sender.request('connect', await agent.request<string>('mediatedInvitation'))
    const prefix = `packed-${app.credoVersion}`
    await sender.request('stream', { prefix, count: messages })
    const senderProgress = () => sender.request<{ sent: number; failed: string[]; done: boolean }>('progress')
    await until(async () => (await senderProgress()).done, DELIVERY_TIMEOUT_MS, 'the sender to finish', 250)
    const progress = await senderProgress()
    if (progress.failed.length) throw new Error(`the sender failed to send: ${progress.failed.join('; ')}`)
    const delivered = async () =>
      new Set((await agent.request<string[]>('received')).filter((content) => content.startsWith(`${prefix}-`))).size
    await until(
      async () => (await delivered()) >= messages,
      DELIVERY_TIMEOUT_MS,
      `${messages} messages at the agent`,
      250,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${await delivered()} of ${messages} delivered`)
    })
    if (ready.credoVersion !== app.credoVersion) throw new Error(`the proxy loaded Credo ${ready.credoVersion}`)
    if (!ready.legacyDocHelperFound) throw new Error("Credo's convertToNewDidDocument is missing")
    return {
      delivered: await delivered(),
      sent: progress.sent,
      proxyCredoVersion: ready.credoVersion,
    }
  } finally {
    await stopAllChildren()
  }
}
