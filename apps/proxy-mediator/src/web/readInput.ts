import type { z } from 'zod'
import { BadRequestError } from './errorResponses'

/**
 * The metadata key that names the error code of a refused field, e.g. `invalid_limit`. It is in the
 * OpenAPI document too (JSON Schema keeps unknown keywords), so a script writer sees each code.
 */
export const ERROR_CODE = 'x-error-code'

/** What a refinement names as the error code of its issue, when it is not the field's own. */
export interface IssueParams {
  code?: string
}

/**
 * Parses one part of a request (query, path parameters or body) with the route's schema; a refusal
 * is a 400 whose code is the refinement's own, `unknown_field` for a field a strict object does not
 * have, else the refused field's (`x-error-code` in its metadata), else `bad_request`, and whose
 * detail is the schema's message, which says what to send.
 */
export function readInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const [issue] = result.error.issues
  throw new BadRequestError(issue.message, errorCodeOf(schema, issue) ?? 'bad_request')
}

function errorCodeOf(schema: z.ZodType, issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'unrecognized_keys') return 'unknown_field'
  if (issue.code === 'custom') {
    const code = (issue.params as IssueParams | undefined)?.code
    if (code) return code
  }
  const field = issue.path[0]
  const shape = (schema as { shape?: Record<PropertyKey, z.ZodType> }).shape
  const fieldSchema = field === undefined ? schema : shape?.[field]
  const code = fieldSchema?.meta()?.[ERROR_CODE]
  return typeof code === 'string' ? code : undefined
}
