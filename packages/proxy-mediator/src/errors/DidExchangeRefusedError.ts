import { ProblemReportError } from '@credo-ts/core'
import { DidExchangeRefusalMessage } from '../messages/DidExchangeRefusalMessage'

/** A refused DID exchange request, reported in the protocol's own `problem_report` (RFC 0023). */
export class DidExchangeRefusedError extends ProblemReportError {
  public override problemReport: DidExchangeRefusalMessage

  public constructor(reason: string) {
    const message = `DID exchange request refused: ${reason}`
    super(message, { problemCode: 'request_not_accepted' })
    this.problemReport = new DidExchangeRefusalMessage({ description: { en: message, code: 'request_not_accepted' } })
  }
}
