import { ProblemReportError } from '@credo-ts/core'
import { DidExchangeRefusalMessage } from '../messages/DidExchangeRefusalMessage'

/** A refused DID exchange request or response, reported in the protocol's own `problem_report` (RFC 0023). */
export class DidExchangeRefusedError extends ProblemReportError {
  public override problemReport: DidExchangeRefusalMessage

  public constructor(reason: string, refused: 'request' | 'response' = 'request') {
    const message = `DID exchange ${refused} refused: ${reason}`
    const code = `${refused}_not_accepted`
    super(message, { problemCode: code })
    this.problemReport = new DidExchangeRefusalMessage({ description: { en: message, code } })
  }
}
