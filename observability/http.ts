import { randomUUID } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import { httpRequestSeconds, httpRequestsTotal, trackingHitsTotal } from './metrics'
import { currentLogFields, logger, withLogFields } from './logger'
import { traceRequest } from './tracing'

/** A caller's request id is kept when it is 1 to 128 visible ASCII characters; otherwise one is made. */
const requestIdPattern = /^[\x21-\x7e]{1,128}$/

const trackingKinds: Record<string, string> = { o: 'open', c: 'click', u: 'unsubscribe', m: 'mirror' }

/**
 * Every request: an `x-request-id` (echoed, or made) on the answer and on every log line written while
 * answering, a span when tracing is on, one log line, and the request metrics by route template.
 */
export function observeRequests(): MiddlewareHandler {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id')
    // A dashboard page calls the API in-process: those calls keep the page request's id.
    const outer = currentLogFields()?.requestId as string | undefined
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : (outer ?? randomUUID())
    const started = performance.now()
    let failed: unknown = null
    await withLogFields({ requestId }, () =>
      traceRequest(c, async () => {
        await next()
        // Hono's error handler has answered by now; the error itself is only for the log line.
        failed = c.error ?? null
        return c.res.status
      }),
    )
    setHeader(c, 'x-request-id', requestId)
    const seconds = (performance.now() - started) / 1000
    const labels = { method: c.req.method, route: routePath(c, -1), status: String(c.res.status) }
    httpRequestsTotal.inc(labels)
    httpRequestSeconds.observe(labels, seconds)
    const tracking = /^\/t\/([a-z])\//.exec(labels.route)
    if (tracking)
      trackingHitsTotal.inc({ kind: trackingKinds[tracking[1]] ?? tracking[1], status: labels.status })
    const line = { requestId, ...labels, path: c.req.path, ms: Math.round(seconds * 1000) }
    if (c.res.status >= 500) logger.error({ ...line, err: failed }, 'request failed')
    else logger.info(line, 'request')
  }
}

/** A response built from another (a fetch, a static file) may have immutable headers: copy it then. */
function setHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value)
  } catch {
    c.res = new Response(c.res.body, c.res)
    c.res.headers.set(name, value)
  }
}
