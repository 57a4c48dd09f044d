import { createApp } from '../../server/app'
import { recurringScheduleId } from '../../workflows/recurring-messages'
import { sleep, type Harness } from './harness'

/** Helpers for recurring-delivery tests: they run against real schedules, in seconds. */

export async function createRecurring(
  h: Harness,
  body: Record<string, unknown>,
  as: 'creator' | 'prepare' = 'creator',
) {
  const created = await h.api('POST', '/api/recurring-deliveries', {
    as,
    body: { label: 'Recurring', subject: 'Hello {{firstName}}', text: 'Hi {{firstName}}', ...body },
  })
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`)
  return created.body.id as number
}

export async function runsOf(h: Harness, id: number): Promise<any[]> {
  const runs: any[] = []
  for (let page = 1; ; page++) {
    const res = await h.api('GET', `/api/recurring-deliveries/${id}/runs?pageSize=500&page=${page}`, {
      as: 'viewer',
    })
    if (res.status !== 200) throw new Error(`runs of ${id}: ${JSON.stringify(res.body)}`)
    runs.push(...res.body.items)
    // A run may start between the count and the page: stop at the first short page.
    if (res.body.items.length < 500 || runs.length >= res.body.total) return runs.reverse()
  }
}

export async function executionsOf(h: Harness, id: number): Promise<any[]> {
  const res = await h.api('GET', `/api/recurring-deliveries/${id}/executions?pageSize=500`, { as: 'viewer' })
  return (res.body.items as any[]).reverse()
}

/** Polls the runs (oldest first) until `done` holds; fails with what it saw last. */
export async function waitForRuns(
  h: Harness,
  id: number,
  done: (runs: any[]) => boolean,
  timeoutMs = 60_000,
): Promise<any[]> {
  const deadline = Date.now() + timeoutMs
  let runs: any[] = []
  while (Date.now() < deadline) {
    runs = await runsOf(h, id)
    if (done(runs)) return runs
    await sleep(150)
  }
  throw new Error(
    `runs of recurring delivery ${id} never got there: ${JSON.stringify(runs.map((r) => [r.id, r.status, r.scheduledAt]))}`,
  )
}

export const withStatus = (runs: any[], ...statuses: string[]) =>
  runs.filter((run) => statuses.includes(run.status))

/** The Temporal schedule of a recurring delivery. */
export function recurringSchedule(h: Harness, id: number) {
  return h.client.schedule.getHandle(recurringScheduleId(id, h.config.temporal.workflowIdPrefix))
}

/** The schedule will start no run any more: none is running and none is to come. */
export async function scheduleIsDone(h: Harness, id: number): Promise<boolean> {
  const { info } = await recurringSchedule(h, id).describe()
  return info.runningActions.length === 0 && info.nextActionTimes.length === 0
}

/** Stops every recurring delivery the file created, so no schedule outlives its test. */
export async function stopAllRecurring(h: Harness): Promise<void> {
  const res = await h.api('GET', '/api/recurring-deliveries?pageSize=500', { as: 'viewer' })
  for (const recurring of res.body?.items ?? []) {
    if (recurring.status !== 'stopped') {
      await h.api('POST', `/api/recurring-deliveries/${recurring.id}/stop`, { as: 'workflow' })
    }
  }
}

/**
 * A fixed-offset zone where it is now around noon, so a test's day, week or month does not end while
 * it runs (Etc/GMT-5 is UTC+5).
 */
export function zoneAroundNoon(now = new Date()): string {
  const offset = 12 - now.getUTCHours()
  if (offset === 0) return 'Etc/GMT'
  return offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`
}

/** The harness's API, except that its reads give Temporal no time at all to describe a schedule. */
export function impatientApp(h: Harness) {
  return createApp({
    db: h.db,
    temporal: h.client,
    config: { ...h.config, temporal: { ...h.config.temporal, readTimeoutMs: 0 } },
  })
}
