import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RequestHandler } from 'express'

export const ASSET_PATHS = { script: '/ui/assets/operatorPage.js', style: '/ui/assets/operatorPage.css' } as const

/**
 * The page's script and stylesheet, read once at start from `assets/` beside this file (the
 * build copies them next to the compiled code). Two fixed routes, no directory served: nothing
 * else on the disk can be reached through them.
 */
export function operatorPageAssets(): Record<string, RequestHandler> {
  const serve = (file: string, type: string): RequestHandler => {
    const body = readFileSync(join(__dirname, 'assets', file))
    return (_req, res) => {
      res.type(type).send(body)
    }
  }
  return {
    [ASSET_PATHS.script]: serve('operatorPage.js', 'text/javascript'),
    [ASSET_PATHS.style]: serve('operatorPage.css', 'text/css'),
  }
}
