import type { MiddlewareHandler } from 'hono'
import { contextStorage, tryGetContext } from 'hono/context-storage'
import type { AppEnv } from './auth'
import { badRequest } from './errors'

/**
 * Commands are Temporal updates, and Temporal applies an update id at most once per workflow run,
 * answering a repeat with the first outcome. A client that got no answer (the replica died, the
 * connection broke) retries with the same `Idempotency-Key`, on this replica or another: the update id
 * derives from it, so the command is not applied twice. Without the header each request is a new command.
 */
export const idempotencyKeyHeader = 'Idempotency-Key'

const validKey = /^[\x21-\x7e]{1,128}$/

/** Checks the header and keeps the request reachable from the workflow clients (hono's context storage). */
export function idempotencyKeys(): MiddlewareHandler<AppEnv> {
  const storage = contextStorage()
  return async (c, next) => {
    const key = c.req.header(idempotencyKeyHeader)
    if (key !== undefined && !validKey.test(key))
      throw badRequest(idempotencyKeyHeader, '1 to 128 visible ASCII characters, no spaces')
    await storage(c, next)
  }
}

/** The update id for `command` sent while serving the current request: from its key and its user. */
export function commandUpdateId(command: string): string | undefined {
  const c = tryGetContext<AppEnv>()
  const key = c?.req.header(idempotencyKeyHeader)
  return c && key ? `${command}:${c.get('user')?.name ?? ''}:${key}` : undefined
}
