/**
 * What is wrong with a mediator invitation URL before anything is fetched or parsed, in words; undefined
 * when it is a URL. The one check of it: the module refuses with it (`InvalidInvitationError`, which
 * the runner answers 400), and the runner's configuration and page use the same words.
 */
export function invitationUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    return "The invitation URL is empty: give the external mediator's invitation URL (?oob=, ?c_i= or a short URL)."
  }
  if (!URL.canParse(value)) {
    return `'${value.slice(0, 200)}' is not a URL: give the whole invitation URL, e.g. https://mediator.example.org?oob=...`
  }
  return undefined
}
