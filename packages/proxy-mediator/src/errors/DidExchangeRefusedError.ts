import { DidExchangeProblemReportMessage, ProblemReportError } from '@credo-ts/core'

/**
 * A refused DID exchange request, reported in the protocol's own `problem_report` (RFC 0023), which
 * ACA-Py routes to the connection it concerns. Credo's equivalent error is not exported, and Credo
 * spells the type `problem-report`, which ACA-Py does not know; the RFC's spelling is used here.
 */
export class DidExchangeRefusedError extends ProblemReportError {
  public override problemReport: DidExchangeProblemReportMessage

  public constructor(reason: string) {
    const message = `DID exchange request refused: ${reason}`
    super(message, { problemCode: 'request_not_accepted' })
    this.problemReport = new DidExchangeProblemReportMessage({
      description: { en: message, code: 'request_not_accepted' },
    })
    ;(this.problemReport as { type: string }).type = 'https://didcomm.org/didexchange/1.1/problem_report'
  }
}
