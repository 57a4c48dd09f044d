import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { registry } from '../observability/metrics'
import { unauthorized } from './errors'

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * `GET /metrics`: the process's metrics in Prometheus text. Open by default (a scraper on a private
 * network); with `HERALD_METRICS_TOKEN` set, only `Authorization: Bearer <that token>` may read them.
 */
export function metricsRoute(token = process.env.HERALD_METRICS_TOKEN || undefined) {
  const expected = token ? digest(`Bearer ${token}`) : null
  return async (c: Context) => {
    if (expected && !timingSafeEqual(digest(c.req.header('authorization') ?? ''), expected))
      throw unauthorized('the metrics token is required: Authorization: Bearer <HERALD_METRICS_TOKEN>')
    return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType })
  }
}
