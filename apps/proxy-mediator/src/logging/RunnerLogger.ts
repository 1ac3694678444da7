import { BaseLogger, LogLevel } from '@credo-ts/core'
import type { RunnerLogLevel } from '../config/RunnerConfig'
import { redact, safeString, scrubSecrets } from './redact'

export type LogLineFormat = 'json' | 'pretty'

export interface RunnerLoggerOptions {
  level: RunnerLogLevel
  format: LogLineFormat
  /** Values that must never appear in a log line (wallet key, admin key). */
  secrets?: string[]
  /** Where lines go; one call per line, without the newline. */
  write?: (line: string) => void
  /** Colours for the pretty format. */
  colors?: boolean
  /** Messages written at debug level whatever level they are logged at (noise from libraries). */
  quiet?: RegExp[]
}

const LEVELS: Record<RunnerLogLevel, LogLevel> = {
  trace: LogLevel.trace,
  debug: LogLevel.debug,
  info: LogLevel.info,
  warn: LogLevel.warn,
  error: LogLevel.error,
  fatal: LogLevel.fatal,
  off: LogLevel.off,
}

const COLORS: Partial<Record<LogLevel, string>> = {
  [LogLevel.trace]: '\x1b[90m',
  [LogLevel.debug]: '\x1b[36m',
  [LogLevel.info]: '\x1b[32m',
  [LogLevel.warn]: '\x1b[33m',
  [LogLevel.error]: '\x1b[31m',
  [LogLevel.fatal]: '\x1b[35m',
}

/**
 * The one logger of the process: Credo writes through it (it is the agent's `config.logger`)
 * and so does the runner. JSON lines for log collectors, readable lines on a terminal; either
 * way the data passes through `redact` first.
 */
export class RunnerLogger extends BaseLogger {
  private readonly format: LogLineFormat
  private readonly secrets: string[]
  private readonly write: (line: string) => void
  private readonly colors: boolean
  private readonly quiet: RegExp[]

  public constructor(options: RunnerLoggerOptions) {
    super(LEVELS[options.level])
    this.format = options.format
    this.secrets = options.secrets ?? []
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`))
    this.colors = options.colors ?? false
    this.quiet = options.quiet ?? []
  }

  public test(message: string, data?: Record<string, unknown>): void {
    this.log(LogLevel.test, message, data)
  }
  public trace(message: string, data?: Record<string, unknown>): void {
    this.log(LogLevel.trace, message, data)
  }
  public debug(message: string, data?: Record<string, unknown>): void {
    this.log(LogLevel.debug, message, data)
  }
  public info(message: string, data?: Record<string, unknown>): void {
    this.log(LogLevel.info, message, data)
  }
  public warn(message: string, data?: Record<string, unknown>): void {
    this.log(LogLevel.warn, message, data)
  }
  public error(message: string, data?: Record<string, unknown>): void {
    this.log(LogLevel.error, message, data)
  }
  public fatal(message: string, data?: Record<string, unknown>): void {
    this.log(LogLevel.fatal, message, data)
  }

  /**
   * Never throws, whatever it is handed: a log call sits in the middle of message handling, and a
   * line that cannot be written must not cut that handling short. What cannot be rendered is
   * replaced, and if even writing fails the line is dropped.
   */
  private log(level: LogLevel, message: string, data?: Record<string, unknown>): void {
    try {
      const shownLevel =
        level > LogLevel.debug && this.quiet.some((pattern) => pattern.test(safeString(message)))
          ? LogLevel.debug
          : level
      if (!this.isEnabled(shownLevel)) return
      this.render(shownLevel, message, data)
    } catch (error) {
      try {
        const reason = error instanceof Error ? safeString(error.message) : safeString(error)
        this.write(
          JSON.stringify({
            time: new Date().toISOString(),
            level: LogLevel[level],
            msg: `[a log line could not be written: ${scrubSecrets(reason, this.secrets)}]`,
          }),
        )
      } catch {
        // Nothing more can be done without risking the caller.
      }
    }
  }

  private render(level: LogLevel, message: unknown, data?: unknown): void {
    const safeMessage = scrubSecrets(safeString(message), this.secrets)
    // Credo sometimes passes a bare Error or a non-object as `data`.
    const safeData = data === undefined ? undefined : redact(data, this.secrets)
    const time = new Date().toISOString()
    const levelName = LogLevel[level]

    if (this.format === 'json') {
      const fields =
        safeData && typeof safeData === 'object' && !Array.isArray(safeData) ? safeData : { data: safeData }
      this.write(JSON.stringify({ time, level: levelName, msg: safeMessage, ...fields }, jsonReplacer))
      return
    }

    const paddedLevel = levelName.toUpperCase().padEnd(5)
    const shownLevel = this.colors ? `${COLORS[level] ?? ''}${paddedLevel}\x1b[0m` : paddedLevel
    const details = safeData === undefined ? '' : ` ${JSON.stringify(safeData, jsonReplacer)}`
    this.write(`${time.slice(11, 23)} ${shownLevel} ${safeMessage}${details}`)
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}
