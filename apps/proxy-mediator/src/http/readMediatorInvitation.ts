import { z } from 'zod'
import { ERROR_CODE } from '../web/readInput'

const REQUIRED = 'invitation_url: required. Send {"invitation_url": "<the external mediator\'s invitation URL>"}.'
/** A field that is there, but not text: saying it is required would send the caller looking for a typo. */
const notText = (field: string) => (issue: { input: unknown }) =>
  `${field}: must be the external mediator's invitation URL as a JSON string, got ${JSON.stringify(issue.input)?.slice(0, 64)}.`

const fields = {
  invitation_url: z
    .string({ error: notText('invitation_url') })
    .optional()
    .meta({ description: 'The external mediator\u2019s invitation URL (`?oob=`, `?c_i=`, or a short URL).' }),
  invitationUrl: z
    .string({ error: notText('invitationUrl') })
    .optional()
    .meta({ description: 'The same, under the name the module uses; `invitation_url` wins.' }),
  primary: z
    .boolean({
      error: (issue) =>
        `primary: must be true or false (JSON booleans, no quotes), got ${JSON.stringify(issue.input)}. Leave it out to add the mediator as primary.`,
    })
    .nullable()
    .optional()
    .meta({
      description:
        'Whether new grants name this mediator (the current primary then drains); false adds it as standby. Leave it out for primary.',
      [ERROR_CODE]: 'invalid_primary',
    }),
}

// Whether it is a URL is the module's one check (`invitationUrlProblem`), answered 400 invalid_invitation.
const requireInvitationUrl = (context: {
  value: { invitation_url?: string; invitationUrl?: string }
  issues: unknown[]
}) => {
  const url = invitationUrlOf(context.value)
  if (url === undefined || url.trim() === '') {
    context.issues.push({ code: 'custom', message: REQUIRED, input: url, path: ['invitation_url'] })
  }
}

/**
 * `{"invitation_url": "...", "primary": true|false}` (`invitationUrl` is accepted too), with a
 * message that says what to send for each mistake. Other fields are ignored: this is the body of
 * the Python proxy-mediator's route, whose scripts may send more than it reads.
 */
export const mediatorInvitationBody = z.object(fields, { error: REQUIRED }).check(requireInvitationUrl)

/**
 * The same, refusing any other field (400 unknown_field): for the proxy's own `POST /mediators`,
 * where a misspelt `primary` would otherwise be dropped and the mediator added as primary, draining
 * the current one.
 */
export const strictMediatorInvitationBody = z
  .strictObject(fields, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `Unknown field ${issue.keys.join(', ').slice(0, 200)}; send {"invitation_url": "...", "primary": true|false}.`
        : REQUIRED,
  })
  .check(requireInvitationUrl)

export type MediatorInvitationBody = z.output<typeof mediatorInvitationBody>

/** The invitation URL of a body that passed `mediatorInvitationBody`. */
export function invitationUrlOf(body: { invitation_url?: string; invitationUrl?: string }): string | undefined {
  return body.invitation_url ?? body.invitationUrl
}

/** Only the host goes to the log: the query of an invitation URL is the invitation itself. */
export function safeHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'invalid'
  }
}
