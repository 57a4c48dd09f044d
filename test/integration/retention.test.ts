import { TrackingUrls } from '../../mail/tracking-urls'
import { ensureRetentionSchedule } from '../../worker/retention-schedule'
import { retentionScheduleId } from '../../workflows/retention'
import {
  importProfiles,
  readyDelivery,
  startHarness,
  untilClock,
  waitUntil,
  type Harness,
} from '../support/harness'
import { createRecurring, waitForRuns, withStatus } from '../support/recurring'

/**
 * The `herald-retention` schedule with a short retention: the logs of an ended delivery go, its KPIs
 * stay and it says its logs were purged; a delivery not ended keeps its logs; soft quarantines are
 * released (and the release is in the address's history), hard ones stay.
 */
describe('retention and quarantine clean-up', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      env: {
        HERALD_LOG_RETENTION: '2s',
        HERALD_QUARANTINE_RELEASE: '2s',
        HERALD_QUARANTINE_GAP: '0',
        HERALD_RETENTION_BATCH: '2',
        // The test triggers each pass itself.
        HERALD_RETENTION_INTERVAL: '1d',
      },
    })
  })
  afterAll(async () => {
    await h?.client.schedule
      .getHandle(retentionScheduleId(h.config.temporal.workflowIdPrefix))
      .delete()
      .catch(() => undefined)
    await h?.close()
  })

  const count = async (table: string, deliveryId: number) =>
    Number((await h.db.knex(table).where('delivery_id', deliveryId).count('* as n'))[0].n)

  async function bounce(events: { type: 'soft' | 'hard'; email: string }[]) {
    const res = await h.api('POST', '/api/bounces', { as: 'bounces', body: { events } })
    expect(res.status).toBe(200)
  }

  /** Triggers a pass of the schedule and waits for it to complete; its report. */
  async function retentionPass() {
    const schedule = await ensureRetentionSchedule(h.client, h.config)
    const before = (await schedule.describe()).info.recentActions.length
    await schedule.trigger()
    return waitUntil('a retention pass to complete', async () => {
      const actions = (await schedule.describe()).info.recentActions
      if (actions.length <= before) return null
      const recent = actions.at(-1)!
      const run = h.client.workflow.getHandle(
        recent.action.workflow.workflowId,
        recent.action.workflow.firstExecutionRunId,
      )
      return (await run.describe()).status.name === 'COMPLETED' && run.result()
    })
  }

  test('a recurring delivery keeps its totals once the logs of its executions are purged', async () => {
    const profileIds = await importProfiles(h, 3)
    const id = await createRecurring(h, { audience: { profileIds }, recurrence: { every: '1h' } })
    expect((await h.api('POST', `/api/recurring-deliveries/${id}/trigger`, { as: 'workflow' })).status).toBe(
      200,
    )
    const [run] = await waitForRuns(h, id, (r) => withStatus(r, 'sent').length === 1)
    const execution = await h.waitForStatus(run.executionId, 'finished')
    const totalsBefore = (await h.api('GET', `/api/recurring-deliveries/${id}`, { as: 'viewer' })).body.totals
    expect(totalsBefore.progress).toMatchObject({ delivered: 3 })
    await h.api('POST', `/api/recurring-deliveries/${id}/stop`, { as: 'workflow' })
    await untilClock(Math.max(new Date(execution.finishedAt).getTime(), Date.now()) + 2_100)
    await retentionPass()
    expect(await count('sending_log', run.executionId)).toBe(0)
    const totalsAfter = (await h.api('GET', `/api/recurring-deliveries/${id}`, { as: 'viewer' })).body.totals
    expect(totalsAfter.progress).toEqual(totalsBefore.progress)
    expect(totalsAfter.kpis).toEqual(totalsBefore.kpis)
  })

  test('a pass purges ended deliveries in small batches and keeps their KPIs; releases soft quarantines only', async () => {
    const ids = await importProfiles(h, 5)
    const ended = await readyDelivery(h, ids, { tracking: true })
    await h.api('POST', `/api/deliveries/${ended}/confirm`, { as: 'start', body: { expectedMessages: 5 } })
    const finished = await h.waitForStatus(ended, 'finished')
    const urls = new TrackingUrls(h.config.trackingSecret!, 'http://localhost', ended)
    expect((await h.app.request(new URL(urls.url('open', ids[0])).pathname)).status).toBe(200)
    await waitUntil('the open to be stored', async () => (await count('tracking_log', ended)) > 0)
    const kpisBefore = (await h.api('POST', `/api/deliveries/${ended}/compute-stats`, { as: 'start' })).body
    expect(kpisBefore.kpis).toMatchObject({ delivered: 5, openRate: 20 })
    const pending = await readyDelivery(h, ids.slice(0, 3), { label: 'Not sent' })

    // Soft errors (every one significant with a zero gap) quarantine one address; a hard bounce another.
    const soft = 'soft-quarantine@example.com'
    const hard = 'hard-quarantine@example.com'
    await bounce(Array.from({ length: 5 }, () => ({ type: 'soft' as const, email: soft })))
    await bounce([{ type: 'hard', email: hard }])
    const statuses = await h.api('GET', '/api/addresses?status=quarantined', { as: 'admin' })
    expect(statuses.body.items.map((a: any) => a.email).sort()).toEqual([hard, soft])

    await untilClock(Math.max(new Date(finished.finishedAt).getTime(), Date.now()) + 2_100)
    const schedule = await ensureRetentionSchedule(h.client, h.config)
    expect((await schedule.describe()).action).toMatchObject({ workflowType: 'retentionWorkflow' })
    await schedule.trigger()
    const report = await waitUntil('a retention pass to complete', async () => {
      const recent = (await schedule.describe()).info.recentActions.at(-1)
      if (!recent) return null
      const run = h.client.workflow.getHandle(
        recent.action.workflow.workflowId,
        recent.action.workflow.firstExecutionRunId,
      )
      return (await run.describe()).status.name === 'COMPLETED' && run.result()
    })
    expect(report).toMatchObject({
      deliveriesPurged: 1,
      logRowsDeleted: expect.any(Number),
      quarantinesReleased: 1,
    })

    for (const table of ['sending_log', 'exclusion_log', 'tracking_log'])
      expect(await count(table, ended)).toBe(0)
    expect(await count('sending_log', pending)).toBe(3)
    const after = await h.api('GET', `/api/deliveries/${ended}`, { as: 'viewer' })
    expect(after.body.logsPurgedAt).toEqual(expect.any(String))
    expect(after.body.progress).toMatchObject({ toDeliver: 5, processed: 5, delivered: 5 })
    expect(after.body.kpis).toEqual(kpisBefore.kpis)
    const recomputed = await h.api('POST', `/api/deliveries/${ended}/compute-stats`, { as: 'start' })
    expect(recomputed.body.kpis).toEqual(kpisBefore.kpis)
    expect((await h.api('GET', `/api/deliveries/${pending}`, { as: 'viewer' })).body.logsPurgedAt).toBeNull()

    const quarantined = await h.api('GET', '/api/addresses?status=quarantined', { as: 'admin' })
    expect(quarantined.body.items.map((a: any) => a.email)).toEqual([hard])
    const history = await h.api('GET', `/api/addresses/${soft}/history`, { as: 'admin' })
    expect(history.body.items.map((c: any) => [c.previousStatus, c.status, c.actor])).toEqual([
      ['quarantined', 'valid', 'retention'],
      ['erroneous', 'quarantined', 'bounces'],
      ['valid', 'erroneous', 'bounces'],
    ])
    // An administrator's release is in the history too, with who released it.
    expect((await h.api('POST', `/api/addresses/${hard}/release`, { as: 'admin' })).status).toBe(200)
    const hardHistory = await h.api('GET', `/api/addresses/${hard}/history`, { as: 'admin' })
    expect(hardHistory.body.items[0]).toMatchObject({
      previousStatus: 'quarantined',
      status: 'valid',
      actor: 'admin-user',
    })
  })
})
