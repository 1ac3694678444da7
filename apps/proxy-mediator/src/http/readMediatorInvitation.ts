import type { Request } from 'express'
import { BadRequestError } from './errorResponses'

/** What a request to add an external mediator carries. */
export interface MediatorInvitationRequest {
  invitationUrl: string
  /** Undefined when the body does not say: the module's default (primary) applies. */
  primary?: boolean
}

/**
 * Reads `{"invitation_url": "...", "primary": true|false}` (`invitationUrl` is accepted too), with
 * a message that says what to send for each mistake.
 */
export function readMediatorInvitation(req: Request): MediatorInvitationRequest {
  const body = req.body as Record<string, unknown> | undefined
  const fields = body && typeof body === 'object' && !Array.isArray(body) ? body : undefined
  const value = fields ? (fields.invitation_url ?? fields.invitationUrl) : undefined
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BadRequestError(
      'invitation_url: required. Send {"invitation_url": "<the external mediator\'s invitation URL>"}.',
    )
  }
  try {
    new URL(value)
  } catch {
    throw new BadRequestError(
      'invitation_url: not a URL. Give the full invitation URL, e.g. https://mediator.example/?oob=...',
      'invalid_url',
    )
  }
  const primary = fields?.primary
  if (primary !== undefined && primary !== null && typeof primary !== 'boolean') {
    throw new BadRequestError(
      `primary: must be true or false (JSON booleans, no quotes), got ${JSON.stringify(primary)}. Leave it out to add the mediator as primary.`,
      'invalid_primary',
    )
  }
  return { invitationUrl: value, primary: typeof primary === 'boolean' ? primary : undefined }
}

/** Only the host goes to the log: the query of an invitation URL is the invitation itself. */
export function safeHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'invalid'
  }
}
