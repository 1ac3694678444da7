import type { Request, Response } from 'express'
import type { z } from 'zod'
import type { ProxyMediatorControl } from '../../web/ProxyMediatorControl'
import type { ExpectedBody } from '../../web/refuseCrossSite'

/**
 * Who may call a route:
 * - `open`: anyone (the probes, the metrics, this reference);
 * - `admin`: the holder of the admin key (`x-api-key`), when one is set;
 * - `admin-for-details`: anyone, but the details of the answer need the admin key (`/status`).
 */
export type RouteAccess = 'open' | 'admin' | 'admin-for-details'

export type HttpMethod = 'get' | 'post' | 'delete'

/** One documented answer of a route. */
export interface RouteAnswer {
  description: string
  /** The shape of a JSON answer, for the reference only. */
  schema?: z.ZodType
  /** @default application/json */
  contentType?: string
}

/** What a route's handler gets: its input, validated by the route's own schemas, and who called. */
export interface RouteInput<Query, Params, Body> {
  query: Query
  params: Params
  body: Body
  /** The proxy's module; reading it while the proxy starts answers 503 (`starting`). */
  proxy: ProxyMediatorControl
  /** Whether the caller holds the admin key (always true when none is set). */
  admin: boolean
  /** Who called, for the log of an action: `admin key from <address>`. */
  by: string
  req: Request
  res: Response
}

/**
 * One route of the runner's HTTP API: its method, path, access and input schemas, and its handler.
 * The router is mounted from these definitions (`mountApiRoutes`), and the OpenAPI document is
 * generated from the very same ones (`openApiDocument`), so that the routes, their validation and
 * their reference cannot drift apart.
 */
export interface ApiRoute<Query = unknown, Params = unknown, Body = unknown> {
  method: HttpMethod
  /** An express path, e.g. `/mediators/:id/promote`. */
  path: string
  /** The same route under other names (the Python proxy-mediator's). */
  aliases?: readonly string[]
  access: RouteAccess
  /**
   * What a browser may send here from the proxy's own pages only (see `refuseCrossSite`): `json`
   * for a route with a JSON body, `none` for one without. Absent for routes any page may read.
   */
  crossSite?: Exclude<ExpectedBody, 'form'>
  /** Whether the route needs the proxy's module, and answers 503 while the proxy starts. @default true */
  needsProxy?: boolean
  /** The section of the reference it is listed under. */
  tag: string
  summary: string
  description?: string
  query?: z.ZodType<Query>
  params?: z.ZodType<Params>
  /** A JSON body; the JSON parser is mounted on this route only. */
  body?: z.ZodType<Body>
  /** The answers besides the refusals every route of its kind may give (listed by the document itself). */
  answers: Record<number, RouteAnswer>
  handle(input: RouteInput<Query, Params, Body>): Promise<void> | void
}

/** A route of any input types, as route tables hold them. */
// biome-ignore lint/suspicious/noExplicitAny: the table erases each route's own input types, which `apiRoute` checked.
export type AnyApiRoute = ApiRoute<any, any, any>

/** Defines a route with its handler's input typed from its schemas. */
export function apiRoute<Query = undefined, Params = undefined, Body = undefined>(
  route: ApiRoute<Query, Params, Body>,
): AnyApiRoute {
  return route
}
