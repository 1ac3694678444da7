import {
  InvalidInvitationError,
  MediatorChangeRefusedError,
  MediatorNotFoundError,
  MediatorUnreachableError,
  SetupInProgressError,
  StorageUnavailableError,
} from '@proxy-mediator/proxy-mediator'

/** The body of every error response: a code a script can branch on, and a sentence for a person. Never a stack. */
export interface ErrorBody {
  error: string
  detail: string
}

export interface HttpErrorResponse {
  status: number
  body: ErrorBody
  /** e.g. Retry-After, when the client should come back later. */
  headers?: Record<string, string>
}

/** An error the routes raise themselves for bad input. */
export class BadRequestError extends Error {
  public constructor(
    message: string,
    public readonly code = 'bad_request',
  ) {
    super(message)
  }
}

/** No route matches. */
export class NotFoundError extends Error {}

/** The admin key is missing or wrong. */
export class UnauthorizedError extends Error {}

/** This address gave too many wrong admin keys: 429 until its window ends. */
export class TooManyAttemptsError extends Error {
  public constructor(
    maxFailures: number,
    public readonly retryAfterSeconds: number,
  ) {
    super(
      `Refused: ${maxFailures} wrong admin keys came from this address; it may try again in ${retryAfterSeconds} s. Right keys were never counted.`,
    )
  }
}

const STARTING_DETAIL = 'The proxy is starting (opening its wallet); try again shortly.'

/** What a route answers (503) while the proxy starts, where it has no shape of its own. */
export const STARTING_BODY: ErrorBody = { error: 'starting', detail: STARTING_DETAIL }

/** The agent is not up yet (wallet opening, transports starting): 503, try again shortly. */
export class StartingError extends Error {
  public constructor() {
    super(STARTING_DETAIL)
  }
}

/** The codes of BadRequestError that are not a plain 400. */
const STATUS_OF_CODE: Record<string, number> = {
  unsupported_media_type: 415,
  json_required: 415,
  unexpected_body: 415,
  payload_too_large: 413,
  cross_site_request: 403,
}

interface BodyParserError {
  type?: string
  status?: number
  limit?: number
}

/** Maps any error thrown while handling a request to a status and a body that is safe to show. */
export function toHttpErrorResponse(error: unknown): HttpErrorResponse {
  if (error instanceof BadRequestError) return respond(STATUS_OF_CODE[error.code] ?? 400, error.code, error.message)
  if (error instanceof NotFoundError) return respond(404, 'not_found', error.message)
  if (error instanceof UnauthorizedError) return respond(401, 'unauthorized', error.message)
  if (error instanceof TooManyAttemptsError) {
    return comeBackLater(respond(429, 'too_many_attempts', error.message), error.retryAfterSeconds)
  }
  if (error instanceof StartingError) return respond(503, 'starting', error.message)
  if (error instanceof InvalidInvitationError) return respond(400, 'invalid_invitation', error.message)
  if (error instanceof MediatorChangeRefusedError) return respond(409, 'mediator_change_refused', error.message)
  if (error instanceof MediatorNotFoundError) return respond(404, 'mediator_not_found', error.message)
  if (error instanceof SetupInProgressError) return respond(409, 'setup_in_progress', error.message)
  if (error instanceof MediatorUnreachableError) return respond(502, 'mediator_unreachable', error.message)
  if (error instanceof StorageUnavailableError) {
    return comeBackLater(
      respond(503, 'storage_unavailable', `${error.message}; send it again later.`),
      error.retryAfterSeconds,
    )
  }

  // Errors of express's body parsers carry a `type` and a 4xx `status`.
  const parserError = error as BodyParserError & Error
  if (parserError?.type === 'entity.too.large') {
    return respond(
      413,
      'payload_too_large',
      `The request body is larger than ${parserError.limit} bytes. Raise max-body-size if it should be accepted.`,
    )
  }
  if (parserError?.type === 'entity.parse.failed') {
    return respond(400, 'invalid_json', `The request body is not valid JSON: ${parserError.message}`)
  }
  if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return respond(parserError.status, 'bad_request', parserError.message)
  }
  return respond(500, 'internal_error', 'The proxy failed to handle the request; its log has the details.')
}

/** An answer that says when to try again (`Retry-After`, in seconds). */
function comeBackLater(response: HttpErrorResponse, retryAfterSeconds: number): HttpErrorResponse {
  return { ...response, headers: { 'Retry-After': String(retryAfterSeconds) } }
}

function respond(status: number, error: string, detail: string): HttpErrorResponse {
  return { status, body: { error, detail } }
}
