/**
 * Credo 0.5.19's WsInboundTransport throws from a ws write callback when the socket of a live
 * pickup session is reset under a delivery (`WebSocket send message failed`, cause ECONNRESET
 * or EPIPE): an uncaught exception that takes the whole mediator down when a pickup client is
 * killed. A production mediator has to survive that, so the mediator's process logs it and goes on (the
 * message stays in the queue unacknowledged and is offered again). Any other uncaught error
 * still ends the process.
 */
export function tolerateLiveDeliveryWriteErrors() {
  process.on('uncaughtException', (error: Error & { cause?: { code?: string } }) => {
    const code = error?.cause?.code
    if (error?.message === 'WebSocket send message failed.' && (code === 'ECONNRESET' || code === 'EPIPE')) {
      process.stderr.write(`external mediator: tolerated ${error.message} (${code})\n`)
      return
    }
    process.stderr.write(`external mediator: uncaught ${error?.stack ?? error}\n`)
    process.exit(1)
  })
}
