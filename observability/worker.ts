import type { Server } from 'node:http'
import { Runtime } from '@temporalio/worker'
import { logger, TemporalPinoLogger } from './logger'
import { serveMetrics, temporalMetricsPort, workerMetricsPort } from './metrics'
import { startTracing, stopTracing } from './tracing'

export interface WorkerObservability {
  /** Where Prometheus reads Herald's worker metrics and the Temporal SDK's (null: off). */
  metricsUrl: string | null
  temporalMetricsUrl: string | null
  stop: () => Promise<void>
}

/**
 * What a worker process sets up before it connects: tracing (when configured), the Temporal runtime
 * with its logger routed into Herald's and its own Prometheus metrics on their port, and Herald's
 * metrics server. `host` is the address both listen on.
 */
export async function startWorkerObservability(
  host: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<WorkerObservability> {
  const port = workerMetricsPort(env)
  const temporalPort = temporalMetricsPort(env)
  await startTracing('herald-worker')
  Runtime.install({
    logger: new TemporalPinoLogger(),
    ...(temporalPort
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `${host}:${temporalPort}` } } } }
      : {}),
  })
  const server: Server | null = port ? await serveMetrics(port, host) : null
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const observability = {
    metricsUrl: port ? `http://${shown}:${port}/metrics` : null,
    temporalMetricsUrl: temporalPort ? `http://${shown}:${temporalPort}/metrics` : null,
  }
  logger.info(observability, 'worker metrics')
  return {
    ...observability,
    stop: async () => {
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
      await stopTracing()
    },
  }
}
