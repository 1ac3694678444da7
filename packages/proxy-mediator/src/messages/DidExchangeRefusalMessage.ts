import {
  IsValidMessageType,
  ProblemReportMessage,
  type ProblemReportMessageOptions,
  parseMessageType,
} from '@credo-ts/core'

/**
 * RFC 0023's `problem_report`. Credo's DID exchange problem report is typed `problem-report`,
 * which ACA-Py does not know, so a refusal would reach an ACA-Py agent as an unknown message.
 */
export class DidExchangeRefusalMessage extends ProblemReportMessage {
  @IsValidMessageType(DidExchangeRefusalMessage.type)
  public override readonly type = DidExchangeRefusalMessage.type.messageTypeUri
  public static override readonly type = parseMessageType('https://didcomm.org/didexchange/1.1/problem_report')
}
