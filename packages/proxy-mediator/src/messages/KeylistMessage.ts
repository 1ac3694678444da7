import { AgentMessage, IsValidMessageType, parseMessageType } from '@credo-ts/core'
import { Expose } from 'class-transformer'

export interface KeylistKey {
  recipient_key: string
}

export interface KeylistPagination {
  count: number
  offset: number
  remaining: number
}

/**
 * RFC 0211 `keylist`, the answer to `keylist-query`. Credo 0.5 has a class of this name whose body
 * does not follow the RFC (`updates` instead of `keys`), so the module has its own.
 */
export class KeylistMessage extends AgentMessage {
  public constructor(options?: { threadId: string; keys: KeylistKey[]; pagination: KeylistPagination }) {
    super()
    if (options) {
      this.id = this.generateId()
      this.keys = options.keys
      this.pagination = options.pagination
      this.setThread({ threadId: options.threadId })
    }
  }

  @IsValidMessageType(KeylistMessage.type)
  public override readonly type = KeylistMessage.type.messageTypeUri
  public static override readonly type = parseMessageType('https://didcomm.org/coordinate-mediation/1.0/keylist')

  @Expose({ name: 'keys' })
  public keys!: KeylistKey[]

  @Expose({ name: 'pagination' })
  public pagination!: KeylistPagination
}
