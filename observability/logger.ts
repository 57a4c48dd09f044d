import { AsyncLocalStorage } from 'node:async_hooks'
import pino from 'pino'
import pretty from 'pino-pretty'
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common'

/**
 * Herald's structured logs (pino): one JSON object a line on stdout, pretty in `npm start`. Fields a
 * line may carry: `requestId` (any line written while a request is answered), `deliveryId`,
 * `workflowId`, `runId`, `activity`, plus those of the line itself.
 */
export type HeraldLogger = pino.Logger

/** Fields added to every line written inside `withLogFields` (the API's request id). */
const logFields = new AsyncLocalStorage<Record<string, unknown>>()

export function withLogFields<T>(fields: Record<string, unknown>, run: () => T): T {
  return logFields.run(fields, run)
}

/** The fields `withLogFields` set around the running code, if any. */
export function currentLogFields(): Record<string, unknown> | undefined {
  return logFields.getStore()
}

/** Never written, wherever they appear in a line's fields: a censor in case one is passed by mistake. */
const redactedPaths = ['authorization', 'password', 'token', 'secret', 'cookie', 'apiKey'].flatMap((key) => [
  key,
  `*.${key}`,
  `*.headers.${key}`,
])

/** `HERALD_LOG_LEVEL` is spelt like the Temporal SDK's levels (INFO, WARN…); pino's are lower case. */
export function logLevel(value: string | undefined, fallback = 'info'): pino.LevelWithSilent {
  const level = (value ?? fallback).toLowerCase()
  return (
    level === 'silent' || pino.levels.values[level] !== undefined ? level : fallback
  ) as pino.LevelWithSilent
}

export function createLogger(options: { level?: string; pretty?: boolean } = {}): HeraldLogger {
  const settings: pino.LoggerOptions = {
    level: logLevel(options.level ?? process.env.HERALD_LOG_LEVEL),
    base: { pid: process.pid },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    mixin: () => logFields.getStore() ?? {},
  }
  if (!options.pretty) return pino(settings)
  // A stream in this thread (not a transport's worker thread): lines appear in order with console output.
  return pino(settings, pretty({ sync: true, colorize: process.stdout.isTTY, ignore: 'pid,hostname' }))
}

/** The process's logger; `npm start` replaces it with a pretty one. */
export let logger: HeraldLogger = createLogger()

export function useLogger(replacement: HeraldLogger): void {
  logger = replacement
}

/**
 * The Temporal SDK's logger (worker, workflows, activities, core) routed into Herald's: its metadata
 * names are kept, except `activityType` → `activity` and `workflowRunId` → `runId`, Herald's names.
 */
export class TemporalPinoLogger implements TemporalLogger {
  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    const { activityType, workflowRunId, sdkComponent, ...rest } = meta
    const fields: Record<string, unknown> = { ...rest, component: sdkComponent ?? 'temporal' }
    if (activityType !== undefined) fields.activity = activityType
    if (workflowRunId !== undefined) fields.runId = workflowRunId
    const write = logger[logLevel(level) as pino.Level] ?? logger.info
    write.call(logger, fields, message)
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta)
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta)
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta)
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta)
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta)
  }
}
