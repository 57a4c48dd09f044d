import { statusLabels, type DeliveryStatus } from '../../domain/delivery-states'
import { inZone } from '../../domain/zoned-time'
import { addCounts, computeKpis } from '../../domain/kpis'
import { finalRunStatuses, runStatusLabels, type RunStatus } from '../../domain/recurring-runs'
import { earliestZone } from '../../domain/recurrence'
import type { IDelivery, IRecurringDelivery, IRecurringRun } from '../../persistence/entities'
import { countExecutionLogs, countRunLogs, countRunsByStatus, emptyCounts } from '../../persistence/recurring'
import { findExecutions } from '../../persistence/recurring-queries'
import type { StatusCounts } from '../../persistence/sending-logs'
import { kpiCountsOf } from '../../persistence/stats'
import type { ApiContext } from '../context'
import type { ScheduleView } from '../temporal'
import { iso, messageContent, presentWaves, workflowLinks } from './deliveries'
import { Delivery } from '../../persistence/entities'
import { progressOf, sendingKpis } from './progress'

/** The schedule as Temporal described it (null once deleted), or why Temporal did not answer in time. */
export interface ScheduleRead {
  schedule: ScheduleView | null
  unanswered: string | null
}

function addStatusCounts(a: StatusCounts, b: StatusCounts): StatusCounts {
  const sum = emptyCounts()
  for (const key of Object.keys(sum) as (keyof StatusCounts)[]) sum[key] = a[key] + b[key]
  return sum
}

/** What all the executions of a recurring delivery add up to. */
async function totals(ctx: ApiContext, recurring: IRecurringDelivery) {
  const executions = await findExecutions(ctx.db, recurring.id)
  const counts = await countExecutionLogs(ctx.db, recurring.id)
  const all = executions.map((e) => counts.get(e.id) ?? emptyCounts())
  const sum = all.reduce((total, c) => addStatusCounts(total, c), emptyCounts())
  const toDeliver = executions.reduce((n, e) => n + e.messagesToDeliver, 0)
  const kpiCounts = await Promise.all(executions.map((e, i) => kpiCountsOf(ctx.db, e, all[i])))
  return {
    executions: executions.length,
    runs: await countRunsByStatus(ctx.db, recurring.id),
    progress: progressOf(toDeliver, sum),
    kpis: computeKpis(addCounts(kpiCounts)),
  }
}

export async function presentRecurring(
  ctx: ApiContext,
  recurring: IRecurringDelivery,
  { schedule, unanswered }: ScheduleRead = { schedule: null, unanswered: null },
) {
  const { names } = ctx.temporal
  return {
    id: recurring.id,
    label: recurring.label,
    status: recurring.status,
    ...messageContent(recurring),
    tracking: recurring.tracking,
    guarantee: recurring.guarantee,
    targetLimit: recurring.targetLimit ?? null,
    recurrence: {
      cron: recurring.cron ?? null,
      every: recurring.intervalMs == null ? null : Number(recurring.intervalMs),
      timeZone: recurring.timeZone,
      startsAt: iso(recurring.startsAt),
      endsAt: iso(recurring.endsAt),
    },
    aggregation: recurring.aggregation,
    confirmBeforeEachSend: recurring.confirmBeforeEachSend,
    recipientTimeZone: recurring.recipientTimeZone,
    totals: await totals(ctx, recurring),
    // The next runs in words, in the recurrence's own zone, named ("2026-12-01 09:00:00 Europe/Paris");
    // sent at each recipient's local time, in the earliest zone, where each occurrence fires.
    schedule: schedule && {
      ...schedule,
      nextRunsText: schedule.nextRuns.map((at) =>
        inZone(at, recurring.recipientTimeZone ? earliestZone : recurring.timeZone, { seconds: true }),
      ),
    },
    scheduleUnanswered: unanswered,
    scheduleId: names.scheduleId(recurring.id),
    temporalUrl: names.scheduleUrl(recurring.id),
    createdBy: recurring.createdBy,
    createdAt: iso(recurring.createdAt),
    updatedAt: iso(recurring.updatedAt),
  }
}

/** An execution: a delivery of its own, with the runs that added to it. */
export async function presentExecution(
  ctx: ApiContext,
  execution: IDelivery,
  logs: StatusCounts,
  runs: number,
) {
  const status = execution.status as DeliveryStatus
  return {
    id: execution.id,
    label: execution.label,
    periodKey: execution.periodKey ?? '',
    status,
    statusLabel: statusLabels[status],
    runs,
    messagesToDeliver: execution.messagesToDeliver,
    excludedCount: execution.excludedCount,
    progress: progressOf(execution.messagesToDeliver, logs),
    kpis: computeKpis(await kpiCountsOf(ctx.db, execution, logs)),
    sendingStartedAt: iso(execution.sendingStartedAt),
    finishedAt: iso(execution.finishedAt),
    createdAt: iso(execution.createdAt),
    deliveryUrl: `/api/deliveries/${execution.id}`,
    // Sent at each recipient's local time: the waves of all its runs, as a delivery's are shown.
    recipientTimeZone: execution.recipientTimeZone,
    waves: await presentWaves(ctx, execution),
    ...(await workflowLinks(ctx, execution)),
  }
}

export async function presentRuns(ctx: ApiContext, runs: IRecurringRun[]) {
  const counts = await countRunLogs(
    ctx.db,
    runs.map((r) => r.id),
  )
  const waves = await Promise.all(runs.map((run) => runWaves(ctx, run)))
  return runs.map((run, i) => {
    const logs = counts.get(run.id) ?? emptyCounts()
    const status = run.status as RunStatus
    return {
      id: run.id,
      recurringId: run.recurring.id,
      executionId: run.delivery?.id ?? null,
      workflowId: run.workflowId,
      temporalUrl: ctx.temporal.names.workflowUrl(run.workflowId),
      status,
      statusLabel: runStatusLabels[status],
      reason: run.reason ?? null,
      scheduledAt: run.scheduledAt.toISOString(),
      startedAt: iso(run.startedAt),
      finishedAt: iso(run.finishedAt),
      messagesToDeliver: run.messagesToDeliver,
      excludedCount: run.excludedCount,
      batches: { first: run.firstBatch ?? null, count: run.batchCount },
      confirmedBy: run.confirmedBy ?? null,
      confirmedAt: iso(run.confirmedAt),
      progress: progressOf(run.messagesToDeliver, logs),
      // Opens and clicks belong to the execution; a run has its sending figures.
      kpis: sendingKpis(run.messagesToDeliver, logs),
      /** Sent at each recipient's local time: this run's waves, earliest first; null otherwise. */
      waves: waves[i],
      nextWave: finalRunStatuses.includes(status) ? null : (waves[i]?.find((w) => w.unfinished > 0) ?? null),
    }
  })
}

/** A run's waves, in its execution (recipient time zone): the batches it added, with what each sent. */
async function runWaves(ctx: ApiContext, run: IRecurringRun) {
  if (!run.delivery || run.firstBatch == null) return null
  const execution = await ctx.db.em().findOne(Delivery, run.delivery.id)
  if (!execution?.recipientTimeZone) return null
  return presentWaves(ctx, execution, { first: run.firstBatch, count: run.batchCount })
}
