import { InvalidInvitationError, invitationUrlProblem } from '@proxy-mediator/proxy-mediator'

/**
 * What `connectToMediator` does with an invitation URL before anything else, for fakes of the
 * module: the runner leaves that check to the module, which refuses with InvalidInvitationError.
 */
export function checkInvitationUrlAsTheModule(url: string): void {
  const problem = invitationUrlProblem(url)
  if (problem) throw new InvalidInvitationError(problem)
}
