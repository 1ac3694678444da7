import { z } from 'zod'
import type { AnyApiRoute, RouteAnswer } from './ApiRoute'

/** A JSON Schema (2020-12, which OpenAPI 3.1 uses as it is). */
export type JsonSchema = Record<string, unknown>

export interface OpenApiParameter {
  name: string
  in: 'path' | 'query'
  required: boolean
  description?: string
  schema: JsonSchema
}

export interface OpenApiResponse {
  description: string
  headers?: Record<string, { description: string; schema: JsonSchema }>
  content?: Record<string, { schema: JsonSchema }>
}

export interface OpenApiOperation {
  operationId: string
  tags: string[]
  summary: string
  description?: string
  /** `[]`: open; `[{adminApiKey: []}]`: the admin key; both: the key adds details. */
  security: Array<Record<string, string[]>>
  parameters: OpenApiParameter[]
  requestBody?: { required: true; content: { 'application/json': { schema: JsonSchema } } }
  responses: Record<string, OpenApiResponse>
}

export interface OpenApiDocument {
  openapi: '3.1.0'
  info: { title: string; version: string; description: string }
  tags: Array<{ name: string }>
  paths: Record<string, Partial<Record<AnyApiRoute['method'], OpenApiOperation>>>
  components: {
    securitySchemes: Record<string, { type: 'apiKey'; in: 'header'; name: string; description: string }>
    schemas: Record<string, JsonSchema>
  }
}

const ERROR_SCHEMA = z.object({
  error: z.string().meta({ description: 'A code a script can branch on, e.g. `invalid_limit`.' }),
  detail: z.string().meta({ description: 'What is wrong and what to do, for a person.' }),
})
const ERROR_REF = { $ref: '#/components/schemas/Error' }

const SECURITY: Record<AnyApiRoute['access'], OpenApiOperation['security']> = {
  open: [],
  admin: [{ adminApiKey: [] }],
  'admin-for-details': [{}, { adminApiKey: [] }],
}

/**
 * The OpenAPI 3.1 document of the runner's API, generated from the route definitions the router
 * is mounted from: their paths, access and input schemas are those the routes validate with, so the
 * document cannot describe a route that is not served, nor miss one that is.
 */
export function openApiDocument(
  routes: readonly AnyApiRoute[],
  info: { version: string; description: string },
): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {}
  for (const route of routes) {
    for (const path of [route.path, ...(route.aliases ?? [])]) {
      const entry = paths[openApiPath(path)] ?? {}
      entry[route.method] = operationOf(route, path)
      paths[openApiPath(path)] = entry
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Proxy mediator: admin and operations API', ...info },
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        adminApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description:
            'The runner\u2019s --admin-api-key. Without one set, every route is open (the runner warns at start). Wrong keys are limited per address (max-admin-key-failures).',
        },
      },
      schemas: { Error: jsonSchemaOf(ERROR_SCHEMA) },
    },
  }
}

/** `/mediators/:id` -> `/mediators/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

function operationOf(route: AnyApiRoute, path: string): OpenApiOperation {
  const alias = path !== route.path
  return {
    operationId: operationIdOf(route.method, path),
    tags: [route.tag],
    summary: route.summary,
    description: alias
      ? `The same as ${route.method.toUpperCase()} ${route.path} (the Python proxy-mediator's name${path.includes('_') ? '' : ', or a clearer one'}).`
      : route.description,
    security: SECURITY[route.access],
    parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(route.body) } } } }
      : {}),
    responses: Object.fromEntries(
      Object.entries({ ...refusalsOf(route), ...route.answers })
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, answer]) => [status, responseOf(answer, Number(status))]),
    ),
  }
}

function operationIdOf(method: string, path: string): string {
  const words = path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
  return `${method}${words.join('') || 'Root'}`
}

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query'): OpenApiParameter[] {
  if (!schema) return []
  const object = jsonSchemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] }
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property
    return {
      name,
      in: location,
      required: location === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    }
  })
}

/** What any route of its kind may answer besides its own answers: every one an `{error, detail}`. */
function refusalsOf(route: AnyApiRoute): Record<number, RouteAnswer> {
  const refusals: Record<number, RouteAnswer> = {}
  const reads = route.query || route.params || route.body
  if (reads) {
    refusals[400] = {
      description: 'Refused input: `error` names what (the `x-error-code` of the field), `detail` what to send.',
    }
  }
  if (route.access === 'admin') refusals[401] = { description: 'No admin key, or a wrong one (`unauthorized`).' }
  if (route.crossSite) {
    refusals[403] = { description: 'Sent by another site\u2019s page (`cross_site_request`).' }
    refusals[415] = {
      description:
        route.crossSite === 'json'
          ? 'Not `content-type: application/json` (`json_required`).'
          : 'A form body, where the route takes none (`unexpected_body`).',
    }
  }
  if (route.body) refusals[413] = { description: 'A body larger than max-body-size (`payload_too_large`).' }
  if (route.access !== 'open') {
    refusals[429] = {
      description:
        'This address gave too many wrong admin keys (`too_many_attempts`); `Retry-After` says when to try again.',
    }
  }
  refusals[503] = {
    description:
      route.needsProxy === false
        ? 'The proxy is shutting down (`shutting_down`).'
        : 'The proxy is starting (`starting`), or shutting down (`shutting_down`).',
  }
  return refusals
}

function responseOf(answer: RouteAnswer, status: number): OpenApiResponse {
  const contentType = answer.contentType ?? 'application/json'
  const schema = answer.schema ? jsonSchemaOf(answer.schema) : status >= 400 ? ERROR_REF : undefined
  return {
    description: answer.description,
    ...(status === 429
      ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } }
      : {}),
    ...(schema ? { content: { [contentType]: { schema } } } : {}),
  }
}

/** The input side: what a client sends (defaults and coercions are the server's business). */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  return rest
}
