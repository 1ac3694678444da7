import { z } from 'zod'
import { ERROR_CODE } from './readInput'

const MAX_LIMIT = 1_000
/** What the module's pages hand out as `next`: milliseconds, a dot, a record id. */
const CURSOR = /^\d{1,16}\.[A-Za-z0-9-]{1,64}$/

const LIMIT_REFUSED = `limit must be a whole number from 1 to ${MAX_LIMIT}.`

/** `?limit=N&before=CURSOR` of GET /dead-letters; the page pages with it too. */
export const deadLetterPageQuery = z.object({
  limit: z.coerce
    .number({ error: LIMIT_REFUSED })
    .int({ error: LIMIT_REFUSED })
    .min(1, { error: LIMIT_REFUSED })
    .max(MAX_LIMIT, { error: LIMIT_REFUSED })
    .default(100)
    .meta({ description: 'The most dead letters in the page.', [ERROR_CODE]: 'invalid_limit' }),
  before: z
    .string({ error: 'before: pass the `next` of the previous page, unchanged.' })
    .regex(CURSOR, { error: 'before: pass the `next` of the previous page, unchanged.' })
    .optional()
    .meta({ description: 'The `next` of the previous page.', [ERROR_CODE]: 'invalid_cursor' }),
})
