import type { RecurringStatus } from '../domain/recurring-runs'
import type { IRecurringDelivery } from '../persistence/entities'
import { setRecurringStatus } from '../persistence/recurring-queries'
import type { ApiContext } from './context'
import { loadRecurring } from './loaders'
import { presentRecurring, type ScheduleRead } from './presenters/recurring'
import { ScheduleUnanswered } from './temporal'

/** The schedule, or why Temporal did not describe it in time (a slow server never fails a read). */
export async function readSchedule(ctx: ApiContext, recurring: IRecurringDelivery): Promise<ScheduleRead> {
  try {
    return { schedule: await ctx.temporal.schedules.describe(recurring.id), unanswered: null }
  } catch (err) {
    if (err instanceof ScheduleUnanswered) return { schedule: null, unanswered: err.message }
    throw err
  }
}

/**
 * Ops may pause, resume or delete the schedule in the Temporal UI: the schedule is the truth. When
 * Temporal does not answer in time, the status last recorded stands.
 */
export async function reconcile(ctx: ApiContext, recurring: IRecurringDelivery): Promise<ScheduleRead> {
  if (recurring.status === 'stopped') return { schedule: null, unanswered: null }
  const read = await readSchedule(ctx, recurring)
  if (read.unanswered) return read
  const { schedule } = read
  // Temporal deletes a schedule some days after its last run: that one finished rather than stopped.
  const ended = Boolean(recurring.endsAt && recurring.endsAt.getTime() <= Date.now())
  const setStatus = (status: RecurringStatus) => setRecurringStatus(ctx.db, recurring, status)
  if (!schedule) await setStatus(ended ? 'finished' : 'stopped')
  else if (schedule.paused) await setStatus('paused')
  else await setStatus(ended && !schedule.nextRuns.length ? 'finished' : 'active')
  return read
}

/** A recurring delivery as the API replies it, its status first brought in line with its schedule. */
export async function presentReconciled(ctx: ApiContext, id: number) {
  const recurring = await loadRecurring(ctx.db, id)
  return presentRecurring(ctx, recurring, await reconcile(ctx, recurring))
}
