import { type AgentMessage, parseMessageType } from '@credo-ts/core'

/**
 * Gives a reply the protocol version of the message it answers. Credo replies in the newest minor
 * version it knows (didexchange/1.1), and RFC 0003 lets a peer take that; but ACA-Py before 0.12
 * knows only didexchange/1.0, and every ACA-Py answers a 1.0 request in 1.0, so the proxy does too.
 */
export function replyInProtocolVersionOf(reply: AgentMessage, request: AgentMessage): void {
  const asked = parseMessageType(request.type)
  const ours = parseMessageType(reply.type)
  if (asked.protocolName !== ours.protocolName || asked.protocolVersion === ours.protocolVersion) return
  ;(reply as { type: string }).type =
    `${ours.documentUri}/${ours.protocolName}/${asked.protocolVersion}/${ours.messageName}`
}
