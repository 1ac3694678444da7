import { Registry } from 'prom-client'
import { historyOf, runnerFactsFixture } from '../../../__tests__/support/statusFixtures'
import { RunnerLogger } from '../../../logging/RunnerLogger'
import { type HttpApp, type HttpAppOptions, createHttpApp } from '../../../server/createHttpApp'

/**
 * The runner's HTTP apps over a stand-in module, with what a test does not look at filled in: a
 * registry of its own, the history of the stand-in's status, the facts fixture, no log, small
 * limits. A test names only what it checks.
 */
export function createTestHttpApp(options: Pick<HttpAppOptions, 'control'> & Partial<HttpAppOptions>): HttpApp {
  return createHttpApp({
    registry: new Registry(),
    history: historyOf(() => options.control()?.getStatus()),
    facts: runnerFactsFixture(),
    logger: new RunnerLogger({ level: 'off', format: 'json', write: () => undefined }),
    maxBodySizeBytes: 1024,
    envelopeLimits: { maxRecipients: 4, maxProtectedHeaderBytes: 512 },
    ...options,
  })
}
