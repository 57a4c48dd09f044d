import http from 'node:http'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { SendingStatus } from '../domain/sending'

/**
 * Herald's Prometheus metrics (prom-client): one registry per process, served by the API on
 * `GET /metrics` and by each worker on `HERALD_METRICS_PORT`. In `npm start` API and worker share it.
 */
export const registry = new Registry()
collectDefaultMetrics({ register: registry })

/** A sending log's final write, as the label of `herald_messages_total`. */
export type MessageOutcome = 'sent' | 'failed' | 'in_doubt' | 'retried'

export const messagesTotal = new Counter({
  name: 'herald_messages_total',
  help: 'Messages whose sending log this process wrote, by the status written (retried: a soft failure waiting for its retry)',
  labelNames: ['status'] as const,
  registers: [registry],
})
for (const status of ['sent', 'failed', 'in_doubt', 'retried'] as const) messagesTotal.inc({ status }, 0)

export const messageFailuresTotal = new Counter({
  name: 'herald_message_failures_total',
  help: 'Messages failed or waiting for a retry, by failure type: hard, soft, ignored (in doubt, not resent)',
  labelNames: ['type'] as const,
  registers: [registry],
})
for (const type of ['hard', 'soft', 'ignored'] as const) messageFailuresTotal.inc({ type }, 0)

export const smtpSendSeconds = new Histogram({
  name: 'herald_smtp_send_seconds',
  help: 'Time from handing a message to the SMTP pool to the server’s answer',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
})

export const messagesInFlight = new Gauge({
  name: 'herald_messages_in_flight',
  help: 'Messages handed to the SMTP server and not answered yet',
  registers: [registry],
})

export const batchesTotal = new Counter({
  name: 'herald_batches_total',
  help: 'sendBatch attempts that ended, by outcome: completed, failed (retried by Temporal) or cancelled (pause, stop)',
  labelNames: ['outcome'] as const,
  registers: [registry],
})

export const rateLimitWaitSeconds = new Histogram({
  name: 'herald_rate_limit_wait_seconds',
  help: 'Time a message waited for its slot of the global send rate limit',
  buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
})

export const httpRequestsTotal = new Counter({
  name: 'herald_http_requests_total',
  help: 'HTTP requests answered by the API, by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
})

export const httpRequestSeconds = new Histogram({
  name: 'herald_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
})

export const trackingHitsTotal = new Counter({
  name: 'herald_tracking_hits_total',
  help: 'Tracking links followed, by kind (open, click, unsubscribe, mirror…) and status',
  labelNames: ['kind', 'status'] as const,
  registers: [registry],
})

const failureTypes: Partial<Record<MessageOutcome, string>> = { retried: 'soft', in_doubt: 'ignored' }

/**
 * Counts sending logs written with a final (or retry) status: called where the row is updated.
 * `failureType` is the row's (hard or soft) when the status is `failed`.
 */
export function countMessages(status: SendingStatus | MessageOutcome, count = 1, failureType?: string): void {
  if (count <= 0) return
  const outcome = status === 'retry' ? 'retried' : status
  if (outcome !== 'sent' && outcome !== 'failed' && outcome !== 'in_doubt' && outcome !== 'retried') return
  messagesTotal.inc({ status: outcome }, count)
  const type = outcome === 'failed' ? failureType : failureTypes[outcome]
  if (type) messageFailuresTotal.inc({ type }, count)
}

/** Starts timing one SMTP exchange; the returned function ends it. */
export function smtpSendStarted(): () => void {
  messagesInFlight.inc()
  const end = smtpSendSeconds.startTimer()
  return () => {
    end()
    messagesInFlight.dec()
  }
}

/** Counts a sendBatch attempt by how it ended; passes its result or error through. */
export async function countBatch<T>(batch: Promise<T>): Promise<T> {
  try {
    const result = await batch
    batchesTotal.inc({ outcome: 'completed' })
    return result
  } catch (err) {
    const cancelled = (err as Error)?.name === 'CancelledFailure'
    batchesTotal.inc({ outcome: cancelled ? 'cancelled' : 'failed' })
    throw err
  }
}

/** Where a worker serves its metrics: `HERALD_METRICS_PORT` (default 9464, 0 = off). */
export function workerMetricsPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.HERALD_METRICS_PORT ?? '9464'
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`HERALD_METRICS_PORT: a port number (0 turns metrics off), not "${raw}"`)
  return port
}

/**
 * The Temporal SDK's own worker metrics (task slots, schedule-to-start latency, sticky cache), served
 * by its runtime on `HERALD_TEMPORAL_METRICS_PORT`: by default the port after `HERALD_METRICS_PORT`
 * (9465); 0, or metrics off, turns it off.
 */
export function temporalMetricsPort(env: NodeJS.ProcessEnv = process.env): number {
  const metricsPort = workerMetricsPort(env)
  if (metricsPort === 0) return 0
  const raw = env.HERALD_TEMPORAL_METRICS_PORT ?? String(metricsPort + 1)
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`HERALD_TEMPORAL_METRICS_PORT: a port number (0 turns it off), not "${raw}"`)
  return port
}

/** Serves the registry as Prometheus text on `/metrics` (a worker has no other HTTP server). */
export function serveMetrics(port: number, host: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end()
      return
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    )
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
