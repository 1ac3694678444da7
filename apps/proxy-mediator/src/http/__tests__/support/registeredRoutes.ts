import type { Express } from 'express'

/** One route an express app serves: its method (lower case) and its express path. */
export interface RegisteredRoute {
  method: string
  path: string
}

interface Layer {
  name: string
  route?: { path: string | string[]; methods: Record<string, boolean> }
  handle: { stack?: Layer[] }
  regexp: RegExp & { fast_slash?: boolean }
}

/**
 * Every route registered on an express 4 app, read from its router stack, nested routers included.
 * A router mounted under a path would need that path added; none is, so one is refused here rather
 * than listed under the wrong path.
 */
export function registeredRoutes(app: Express): RegisteredRoute[] {
  const routes: RegisteredRoute[] = []
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path]
        for (const method of Object.keys(layer.route.methods).filter((name) => name !== '_all')) {
          for (const path of paths) routes.push({ method, path })
        }
      } else if (layer.name === 'router' && layer.handle.stack) {
        if (!layer.regexp.fast_slash) throw new Error(`a router is mounted under ${layer.regexp}: add its path here`)
        walk(layer.handle.stack)
      }
    }
  }
  walk((app as unknown as { _router: { stack: Layer[] } })._router.stack)
  return routes
}
