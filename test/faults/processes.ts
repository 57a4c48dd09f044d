import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { nodeOptionsOf } from '../../runtime/compose'
import type { Harness } from '../support/harness'

/** A Herald worker in a process of its own, so a test can kill it like a crash would. */
export interface WorkerProcess {
  child: ChildProcess
  /** Resolves with the exit code or signal. */
  exited: Promise<string>
  kill(signal?: NodeJS.Signals): Promise<string>
}

const root = path.resolve(__dirname, '../..')

export function workerEnv(h: Harness, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_URL: h.databaseUrl,
    TEMPORAL_ADDRESS: h.config.temporal.address,
    TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
    HERALD_WORKFLOW_BUNDLE: process.env.HERALD_TEST_WORKFLOW_BUNDLE!,
    SMTP_URL: h.config.smtp.url,
    SMTP_POOL_SIZE: String(h.config.smtp.poolSize),
    HERALD_RATE_LIMIT: String(h.config.rateLimitPerSecond),
    HERALD_TRACKING_SECRET: h.config.trackingSecret ?? '',
    HERALD_WORKFLOW_ID_PREFIX: h.config.temporal.workflowIdPrefix,
    HERALD_PUBLIC_URL: h.config.api.publicUrl,
    HERALD_LOG_LEVEL: 'ERROR',
    // Tests run many workers on one machine: metrics only where a test asks for them, on its own ports.
    HERALD_METRICS_PORT: '0',
    ...extra,
  }
}

export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  return startProcess('worker/main.ts', env)
}

/**
 * One of Herald's production entry points (`worker/main.ts`, `server/main.ts`) as a process of its own,
 * started with the Node options of its service in docker-compose.yml (the worker's heap cap, say).
 */
export function startProcess(entry: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [...nodeOptionsOf(entry), path.join(root, entry)], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  )
  return {
    child,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
