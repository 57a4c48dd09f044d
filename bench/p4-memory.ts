import { importProfiles, readyDelivery, startHarness } from '../test/support/harness'
import { startWorkerProcess, workerEnv } from '../test/faults/processes'
import { sampleRss, SinkProcess } from './lib'

export interface MemoryResult {
  database: string
  messages: number
  peakRssMb: number
  perSecond: number
  /** history events of each run of the delivery's workflow (P6) */
  eventsPerRun: number[]
}

/**
 * P4 (and P6's history figure): a worker in a process of its own sends `messages` messages; its peak
 * resident memory is sampled from /proc, and the delivery workflow's runs are counted afterwards.
 */
export async function workerMemory(messages: number, database: 'sqlite' | 'postgres'): Promise<MemoryResult> {
  process.env.HERALD_TEST_DB = database
  const sink = await SinkProcess.start()
  // Production batch size: the delivery's workflow gets it from the API's configuration.
  const h = await startHarness({
    inProcessWorker: false,
    env: { SMTP_URL: sink.url, SMTP_POOL_SIZE: '5', HERALD_BATCH_SIZE: '500' },
    settings: { batchesPerRun: 500 },
  })
  const worker = startWorkerProcess(workerEnv(h, { HERALD_BATCH_SIZE: '500' }))
  try {
    const ids: number[] = []
    for (let i = 0; i < messages; i += 10_000)
      ids.push(...(await importProfiles(h, Math.min(10_000, messages - i))))
    const id = await readyDelivery(h, ids)
    const rss = sampleRss(worker.child.pid)
    const started = performance.now()
    await h.api('POST', `/api/deliveries/${id}/confirm`, {
      as: 'start',
      body: { expectedMessages: messages },
    })
    const finished = await h.waitForStatus(id, 'finished', 3_600_000)
    const seconds = (performance.now() - started) / 1000
    const peak = rss.stop()
    if (finished.progress.delivered !== messages)
      throw new Error(`only ${finished.progress.delivered} delivered`)
    const eventsPerRun: number[] = []
    for await (const run of h.client.workflow.list({ query: `WorkflowId = '${finished.workflowId}'` })) {
      // A run just continued from has no length in the visibility store yet; count it from its history.
      eventsPerRun.push(
        run.historyLength ||
          (await h.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory()).events?.length ||
          0,
      )
    }
    return {
      database,
      messages,
      peakRssMb: Math.round(peak / 2 ** 20),
      perSecond: Math.round(messages / seconds),
      eventsPerRun: eventsPerRun.sort((a, b) => b - a),
    }
  } finally {
    await worker.kill('SIGTERM')
    await h.close()
    sink.stop()
  }
}
