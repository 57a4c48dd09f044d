import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker'
import { createActivities, type ActivityDeps } from '../activities'
import { sendTaskQueue } from '../domain/sending'
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

/**
 * A Herald worker is two Temporal workers in one process, sharing its connection, database and SMTP pool:
 * one on the task queue of workflows and their other activities, and one on the send queue
 * (`sendTaskQueue`) that takes one batch at a time — its SMTP pool's lanes all serve that batch — so that
 * a delivery's batches spread over every worker as each frees up.
 */
export class HeraldWorker {
  constructor(
    private readonly main: Worker,
    private readonly send: Worker,
  ) {}

  /** Runs both until `shutdown` (or either fails: the other is shut down too). */
  async run(): Promise<void> {
    const runs = [this.main, this.send].map((worker) =>
      worker.run().catch((err: unknown) => {
        this.shutdown()
        throw err
      }),
    )
    await Promise.all(runs)
  }

  /** Stops polling; batches running get the shutdown grace time to finish their messages in flight. */
  shutdown(): void {
    for (const worker of [this.main, this.send]) if (worker.getState() === 'RUNNING') worker.shutdown()
  }

  getState(): ReturnType<Worker['getState']> {
    return this.main.getState()
  }
}

export async function createHeraldWorker(options: HeraldWorkerOptions): Promise<HeraldWorker> {
  // Traced workflows need the tracing interceptors bundled in: a traced worker bundles its own.
  const tracing = await tracingWorkerOptions()
  const workflows: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> =
    options.workflowBundle && !tracing
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }
  const activities = createActivities(options.deps)
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    ...(options.identity ? { identity: options.identity } : {}),
    // Heartbeats carry cancellations (pause, stop) to a batch: send them often enough to act within one batch.
    maxHeartbeatThrottleInterval: '300ms',
    defaultHeartbeatThrottleInterval: '300ms',
    // Let a batch finish its messages in flight on SIGTERM before the worker goes.
    shutdownGraceTime: '30s',
  } satisfies Partial<WorkerOptions>
  const main = await Worker.create({
    ...common,
    taskQueue: options.taskQueue,
    ...workflows,
    // sendBatch stays here for batches scheduled on this queue by histories recorded before the send queue.
    activities,
    maxConcurrentActivityTaskExecutions: 20,
    // The SDK sizes its workflow cache from the heap limit, which the worker's compose command caps at
    // 192 MB (that would leave 23 workflows cached). A cached delivery workflow takes about 70 KB of the
    // workflow thread's heap (300 waiting ones measured at +19 MB), so 1,000 fit well within the cap.
    maxCachedWorkflows: 1000,
    ...tracing,
  })
  const send = await Worker.create({
    ...common,
    taskQueue: sendTaskQueue(options.taskQueue),
    activities: { sendBatch: activities.sendBatch },
    maxConcurrentActivityTaskExecutions: 1,
    ...(tracing ? { interceptors: { activity: tracing.interceptors?.activity } } : {}),
  })
  return new HeraldWorker(main, send)
}
