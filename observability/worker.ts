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
  const temporalServing = installRuntime(host, temporalPort)
  const server = port ? await serveMetrics(port, host).catch(portTaken('HERALD_METRICS_PORT', port)) : null
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const observability = {
    metricsUrl: server ? `http://${shown}:${port}/metrics` : null,
    temporalMetricsUrl: temporalServing ? `http://${shown}:${temporalPort}/metrics` : null,
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

/**
 * The Temporal runtime, its logger routed into Herald's, serving the SDK's metrics on `port` (0: not).
 * A port already taken costs the metrics, not the worker: sending goes on, and the error says why.
 */
function installRuntime(host: string, port: number): boolean {
  // The SDK's Rust core logs too: forwarded into the same logger rather than printed on its own.
  const logging = { filter: { core: 'WARN', other: 'ERROR' } as const, forward: {} }
  const temporalLogger = new TemporalPinoLogger()
  if (port) {
    try {
      const prometheus = { bindAddress: `${host}:${port}` }
      Runtime.install({ logger: temporalLogger, telemetryOptions: { logging, metrics: { prometheus } } })
      return true
    } catch (err) {
      portTaken('HERALD_TEMPORAL_METRICS_PORT', port)(err)
    }
  }
  Runtime.install({ logger: temporalLogger, telemetryOptions: { logging } })
  return false
}

function portTaken(setting: string, port: number) {
  return (err: unknown): null => {
    logger.error(
      { err, port },
      `${setting}: cannot serve metrics on port ${port}; the worker runs without them`,
    )
    return null
  }
}
