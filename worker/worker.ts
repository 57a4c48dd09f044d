import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker'
import { createActivities, type ActivityDeps } from '../activities'
import { tracingWorkerOptions } from '../observability/tracing'

export interface HeraldWorkerOptions {
  connection: NativeConnection
  namespace: string
  taskQueue: string
  deps: ActivityDeps
  /** A pre-built workflow bundle (tests build one per run); otherwise the worker bundles workflows/. */
  workflowBundle?: { codePath: string }
  identity?: string
}

export async function createHeraldWorker(options: HeraldWorkerOptions): Promise<Worker> {
  // Traced workflows need the tracing interceptors bundled in: a traced worker bundles its own.
  const tracing = await tracingWorkerOptions()
  const workflows: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> =
    options.workflowBundle && !tracing
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    ...workflows,
    activities: createActivities(options.deps),
    // Heartbeats carry cancellations (pause, stop) to a batch: send them often enough to act within one batch.
    maxHeartbeatThrottleInterval: '300ms',
    defaultHeartbeatThrottleInterval: '300ms',
    maxConcurrentActivityTaskExecutions: 20,
    // The SDK sizes its workflow cache from the heap limit, which the worker's compose command caps at
    // 192 MB (that would leave 23 workflows cached). A cached delivery workflow takes about 70 KB of the
    // workflow thread's heap (300 waiting ones measured at +19 MB), so 1,000 fit well within the cap.
    maxCachedWorkflows: 1000,
    // Let a batch finish its messages in flight on SIGTERM before the worker goes.
    shutdownGraceTime: '30s',
    ...tracing,
  })
}
