import { z } from 'zod'
import { type RunnerFacts, uptimeSeconds } from '../runner/RunnerFacts'
import { type AnyApiRoute, apiRoute } from './api/ApiRoute'

/** GET /about: which versions run, since when, and with which configuration (secrets masked). */
export function aboutRoutes(facts: RunnerFacts): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'get',
      path: '/about',
      access: 'admin',
      crossSite: 'none',
      needsProxy: false,
      tag: 'About',
      summary: 'Versions, uptime and the configuration in effect',
      description:
        'The runner\u2019s and the module\u2019s versions (from their package.json), Credo\u2019s and Node\u2019s, when the process started, and every setting as the runner uses it: the wallet key and the admin key only say whether they are set, and the external mediator\u2019s invitation shows its host only.',
      answers: {
        200: {
          description: 'The facts of the running process.',
          schema: z.object({
            versions: z.object({ runner: z.string(), module: z.string(), credo: z.string(), node: z.string() }),
            started_at: z.string(),
            uptime_seconds: z.number(),
            configuration: z.record(z.string(), z.unknown()),
          }),
        },
      },
      handle: ({ res }) => {
        res.json({
          versions: facts.versions,
          started_at: facts.startedAt.toISOString(),
          uptime_seconds: uptimeSeconds(facts),
          configuration: facts.configuration,
        })
      },
    }),
  ]
}
