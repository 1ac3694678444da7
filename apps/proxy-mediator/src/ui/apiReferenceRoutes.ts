import { z } from 'zod'
import { type AnyApiRoute, apiRoute } from '../http/api/ApiRoute'
import type { OpenApiDocument } from '../http/api/openApiDocument'
import { setPageSecurityHeaders } from './pageSecurityHeaders'
import { renderApiReference } from './render/renderApiReference'

const TAG = 'Reference'

/**
 * GET /openapi.json and GET /api-docs: the OpenAPI document of every API route, and the same as a
 * page. Open, as ACA-Py's is: it says what the routes are, not what they hold.
 */
export function apiReferenceRoutes(document: () => OpenApiDocument): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'get',
      path: '/openapi.json',
      access: 'open',
      needsProxy: false,
      tag: TAG,
      summary: 'This reference, as an OpenAPI 3.1 document',
      description: 'Generated from the definitions the routes are mounted and validated from.',
      answers: { 200: { description: 'The document.', schema: z.looseObject({ openapi: z.string() }) } },
      handle: ({ res }) => {
        res.json(document())
      },
    }),
    apiRoute({
      method: 'get',
      path: '/api-docs',
      access: 'open',
      needsProxy: false,
      tag: TAG,
      summary: 'This reference, as a page',
      description: 'Rendered by the runner from the OpenAPI document, under the operator\u2019s page\u2019s CSP.',
      answers: { 200: { description: 'The page.', contentType: 'text/html' } },
      handle: ({ res }) => {
        setPageSecurityHeaders(res)
        res.type('html').send(renderApiReference(document()))
      },
    }),
  ]
}
