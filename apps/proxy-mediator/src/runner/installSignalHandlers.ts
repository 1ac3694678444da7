import type { Logger } from '@credo-ts/core'

export interface SignalHandlerOptions {
  stop: () => Promise<void>
  logger: Logger
  timeoutMs: number
  exit?: (code: number) => void
  processLike?: Pick<NodeJS.Process, 'on'>
}

/**
 * SIGTERM and SIGINT stop the runner gracefully and exit 0. A second signal, or a shutdown
 * longer than `timeoutMs`, exits 1 at once: an operator who presses Ctrl-C twice means it.
 */
export function installSignalHandlers({
  stop,
  logger,
  timeoutMs,
  exit = (code) => process.exit(code),
  processLike = process,
}: SignalHandlerOptions): void {
  let stopping = false

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`Received ${signal} again; exiting without finishing the shutdown`)
      exit(1)
      return
    }
    stopping = true
    logger.info(`Received ${signal}; shutting down (at most ${timeoutMs} ms)`)
    const timer = setTimeout(() => {
      logger.error(`Shutdown took longer than ${timeoutMs} ms; exiting anyway`)
      exit(1)
    }, timeoutMs)
    stop()
      .then(() => {
        clearTimeout(timer)
        logger.info('Shut down cleanly')
        exit(0)
      })
      .catch((error) => {
        clearTimeout(timer)
        logger.error('Shutdown failed', { error })
        exit(1)
      })
  }

  processLike.on('SIGTERM', onSignal)
  processLike.on('SIGINT', onSignal)
}
