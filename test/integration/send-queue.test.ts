import { importProfiles, readyDelivery, receivedFor, startHarness, type Harness } from '../support/harness'
import { NativeConnection } from '@temporalio/worker'
import { createHeraldWorker, type HeraldWorker } from '../../worker/worker'
import { createActivityDeps } from '../../worker/deps'
import { sendTaskQueue } from '../../domain/sending'
import { deliveryWorkflowId } from '../../workflows/messages'

/**
 * Batches go to the send queue, where every worker takes one batch at a time: two workers on one task
 * queue share a delivery's batches as each frees up, and neither holds a second batch while its lanes
 * are busy with the first (the uneven spread P7 measured when a worker took up to 20 at once).
 */
describe('the send queue', () => {
  let h: Harness
  let second: HeraldWorker
  let secondRun: Promise<void>
  let connection: NativeConnection
  beforeAll(async () => {
    // A relay that takes 30 ms a message, so a batch of 10 on 4 connections lasts about 100 ms.
    h = await startHarness({ settings: { batchSize: 10, batchWindow: 4 }, sink: { replyDelayMs: 30 } })
    connection = await NativeConnection.connect({ address: process.env.HERALD_TEST_TEMPORAL_ADDRESS! })
    second = await createHeraldWorker({
      connection,
      namespace: h.config.temporal.namespace,
      taskQueue: h.config.temporal.taskQueue,
      deps: createActivityDeps(h.db, h.config),
      workflowBundle: { codePath: process.env.HERALD_TEST_WORKFLOW_BUNDLE! },
      identity: 'second-worker',
    })
    secondRun = second.run()
  })
  afterAll(async () => {
    second?.shutdown()
    await secondRun
    await connection?.close()
    await h?.close()
  })

  test('spreads the batches over both workers, one batch at a time each', async () => {
    const ids = await importProfiles(h, 80)
    const id = await readyDelivery(h, ids)
    await h.api('POST', `/api/deliveries/${id}/confirm`, { as: 'start' })
    await h.waitForStatus(id, 'finished')
    expect([...receivedFor(h, id).values()]).toEqual(Array(80).fill(1))

    const history = await h.client.workflow
      .getHandle(deliveryWorkflowId(id, h.config.temporal.workflowIdPrefix))
      .fetchHistory()
    const events = history.events ?? []
    const at = (e: (typeof events)[number]) =>
      Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6
    const scheduled = new Map<number, string>()
    const started = new Map<number, { worker: string; at: number }>()
    const batches: { worker: string; from: number; to: number }[] = []
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes
      if (s?.activityType?.name === 'sendBatch') scheduled.set(Number(e.eventId), s.taskQueue?.name ?? '')
      const st = e.activityTaskStartedEventAttributes
      if (st && scheduled.has(Number(st.scheduledEventId)))
        started.set(Number(e.eventId), { worker: st.identity ?? '', at: at(e) })
      const c = e.activityTaskCompletedEventAttributes
      if (c && started.has(Number(c.startedEventId))) {
        const { worker, at: from } = started.get(Number(c.startedEventId))!
        batches.push({ worker, from, to: at(e) })
      }
    }
    expect(batches).toHaveLength(8)
    expect(new Set(scheduled.values())).toEqual(new Set([sendTaskQueue(h.config.temporal.taskQueue)]))
    const byWorker = new Map<string, typeof batches>()
    for (const b of batches) byWorker.set(b.worker, [...(byWorker.get(b.worker) ?? []), b])
    expect(byWorker.size).toBe(2)
    for (const [, own] of byWorker) {
      expect(own.length).toBeGreaterThanOrEqual(2)
      own.sort((a, b) => a.from - b.from)
      for (let i = 1; i < own.length; i++) expect(own[i].from).toBeGreaterThanOrEqual(own[i - 1].to)
    }
  })
})
