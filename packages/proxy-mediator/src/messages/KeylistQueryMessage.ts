import { AgentMessage, IsValidMessageType, parseMessageType } from '@credo-ts/core'
import { Type } from 'class-transformer'
import { IsInt, IsOptional, Min, ValidateNested } from 'class-validator'

export class KeylistQueryPagination {
  @IsOptional()
  @IsInt()
  @Min(0)
  public limit?: number

  @IsOptional()
  @IsInt()
  @Min(0)
  public offset?: number
}

/**
 * RFC 0211 `keylist-query`: an agent asks which of its keys the mediator holds. ACA-Py sends it to
 * check its registration; Credo 0.5's mediator has no handler for it.
 */
export class KeylistQueryMessage extends AgentMessage {
  public constructor(options?: { id?: string; paginate?: KeylistQueryPagination }) {
    super()
    if (options) {
      this.id = options.id ?? this.generateId()
      this.paginate = options.paginate
    }
  }

  @IsValidMessageType(KeylistQueryMessage.type)
  public override readonly type = KeylistQueryMessage.type.messageTypeUri
  public static override readonly type = parseMessageType('https://didcomm.org/coordinate-mediation/1.0/keylist-query')

  @IsOptional()
  public filter?: Record<string, unknown>

  @IsOptional()
  @ValidateNested()
  @Type(() => KeylistQueryPagination)
  public paginate?: KeylistQueryPagination
}
