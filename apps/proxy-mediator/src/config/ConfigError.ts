/** One problem with one setting, phrased for the person who has to fix it. */
export interface ConfigIssue {
  field: string
  message: string
}

/** The configuration is invalid. The CLI prints every issue and exits with status 2. */
export class ConfigError extends Error {
  public readonly issues: ConfigIssue[]

  public constructor(issues: ConfigIssue[]) {
    super(issues.map((issue) => `${issue.field}: ${issue.message}`).join('\n'))
    this.name = 'ConfigError'
    this.issues = issues
  }
}
