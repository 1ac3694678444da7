import type { AgentContext } from '@credo-ts/core'

/** A logger whose calls a test can read; it writes nothing. */
export function silentLogger() {
  return { trace: jest.fn(), debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() }
}

/**
 * The agent context as the services read it: its logger, its config, and the few dependencies they
 * resolve themselves, each given by its class (`[OutOfBandApi, fake]`).
 */
export function testAgentContext(
  options: { config?: Record<string, unknown>; dependencies?: Array<[unknown, unknown]> } = {},
) {
  const logger = silentLogger()
  const dependencies = new Map(options.dependencies)
  const agentContext = {
    contextCorrelationId: 'test',
    config: { logger, ...options.config },
    dependencyManager: {
      resolve: (token: unknown) => {
        if (!dependencies.has(token)) throw new Error(`the test gives no ${String((token as Function)?.name ?? token)}`)
        return dependencies.get(token)
      },
    },
  } as unknown as AgentContext
  return { agentContext, logger }
}
