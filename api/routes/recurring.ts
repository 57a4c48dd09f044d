import { setTimeout as sleep } from 'node:timers/promises'
import { inZone } from '../../domain/zoned-time'
import { OpenAPIHono, type z } from '@hono/zod-openapi'
import type { Client } from '@temporalio/client'
import { audienceProblems } from '../../domain/audience'
import { hasRight, missingRoleMessage, type Right } from '../../domain/roles'
import { aggregationProblems, recurrenceProblems } from '../../domain/recurrence'
import {
  recurringCommandAllowedIn,
  runStatusLabels,
  type RecurringCommand,
  type RecurringStatus,
  type RunStatus,
} from '../../domain/recurring-runs'
import { statusLabels, type DeliveryStatus } from '../../domain/delivery-states'
import { addCounts, computeKpis } from '../../domain/kpis'
import { kpiCountsOf } from '../../persistence/stats'
import {
  Delivery as DeliveryEntity,
  RecurringDelivery as RecurringEntity,
  RecurringRun as RunEntity,
  type IDelivery,
  type IRecurringDelivery,
  type IRecurringRun,
} from '../../persistence/entities'
import {
  countExecutionLogs,
  countRunLogs,
  countRunsByStatus,
  emptyCounts,
  unfinishedRunWorkflows,
} from '../../persistence/recurring'
import type { StatusCounts } from '../../persistence/sending-logs'
import type { AppEnv } from '../auth'
import { badRequest, conflict, forbidden, notFound } from '../errors'
import { allErrors as errors, guardedRoute as route, json, jsonBody } from '../openapi'
import * as s from '../schemas'
import * as rs from '../recurring-schemas'
import type { ApiContext } from '../context'
import {
  RecurringSchedules,
  ScheduleUnanswered,
  executionLinks,
  type ScheduleView,
} from '../recurring-schedules'
import { contactDateFrom, progressOf } from './deliveries'

/** The schedule as Temporal described it (null once deleted), or why Temporal did not answer in time. */
interface ScheduleRead {
  schedule: ScheduleView | null
  unanswered: string | null
}

const iso = (date: Date | null | undefined) => date?.toISOString() ?? null

/**
 * Recurring deliveries (SPEC.md "Recurring deliveries"): each is a Temporal schedule that starts one
 * run workflow per occurrence; runs add to executions, which are deliveries like any other.
 */
export function recurringRoutes(ctx: ApiContext, temporal: Client) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: ctx.validationHook })
  const { db, config } = ctx
  const schedules = new RecurringSchedules(temporal, config)

  const load = async (id: number): Promise<IRecurringDelivery> => {
    const recurring = await db.em().findOne(RecurringEntity, id)
    if (!recurring) throw notFound(`recurring delivery ${id}`)
    return recurring
  }

  const setStatus = async (recurring: IRecurringDelivery, status: RecurringStatus) => {
    if (recurring.status === status) return
    recurring.status = status
    await db
      .knex('recurring_delivery')
      .where('id', recurring.id)
      .update({
        status,
        updated_at: db.date(new Date()),
      })
  }

  /** The schedule, or why Temporal did not describe it in time (a slow server never fails a read). */
  const readSchedule = async (recurring: IRecurringDelivery): Promise<ScheduleRead> => {
    try {
      return { schedule: await schedules.describe(recurring.id), unanswered: null }
    } catch (err) {
      if (err instanceof ScheduleUnanswered) return { schedule: null, unanswered: err.message }
      throw err
    }
  }

  /**
   * Ops may pause, resume or delete the schedule in the Temporal UI: the schedule is the truth. When
   * Temporal does not answer in time, the status last recorded stands.
   */
  const reconcile = async (recurring: IRecurringDelivery): Promise<ScheduleRead> => {
    if (recurring.status === 'stopped') return { schedule: null, unanswered: null }
    const read = await readSchedule(recurring)
    if (read.unanswered) return read
    const { schedule } = read
    // Temporal deletes a schedule some days after its last run: that one finished rather than stopped.
    const ended = Boolean(recurring.endsAt && recurring.endsAt.getTime() <= Date.now())
    if (!schedule) await setStatus(recurring, ended ? 'finished' : 'stopped')
    else if (schedule.paused) await setStatus(recurring, 'paused')
    else await setStatus(recurring, ended && !schedule.nextRuns.length ? 'finished' : 'active')
    return read
  }

  const totals = async (recurring: IRecurringDelivery) => {
    const executions = await db.em().find(DeliveryEntity, { recurringId: recurring.id })
    const counts = await countExecutionLogs(db, recurring.id)
    const all = executions.map((e) => counts.get(e.id) ?? emptyCounts())
    const sum = all.reduce((total, c) => addStatusCounts(total, c), emptyCounts())
    const toDeliver = executions.reduce((n, e) => n + e.messagesToDeliver, 0)
    return {
      executions: executions.length,
      runs: await countRunsByStatus(db, recurring.id),
      progress: progressOf({ messagesToDeliver: toDeliver } as IDelivery, sum),
      kpis: computeKpis(addCounts(await Promise.all(executions.map((e, i) => kpiCountsOf(db, e, all[i]))))),
    }
  }

  const present = async (
    recurring: IRecurringDelivery,
    { schedule, unanswered }: ScheduleRead = { schedule: null, unanswered: null },
  ) => ({
    id: recurring.id,
    label: recurring.label,
    status: recurring.status,
    subject: recurring.subject,
    html: recurring.html ?? null,
    text: recurring.text ?? null,
    fromName: recurring.fromName ?? null,
    fromEmail: recurring.fromEmail ?? null,
    audience: recurring.audience,
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
    totals: await totals(recurring),
    // The next runs in words, in the recurrence's own zone, named ("2026-12-01 09:00:00 Europe/Paris").
    schedule: schedule && {
      ...schedule,
      nextRunsText: schedule.nextRuns.map((at) => inZone(at, recurring.timeZone, { seconds: true })),
    },
    scheduleUnanswered: unanswered,
    scheduleId: schedules.scheduleId(recurring.id),
    temporalUrl: schedules.scheduleUrl(recurring.id),
    createdBy: recurring.createdBy,
    createdAt: iso(recurring.createdAt),
    updatedAt: iso(recurring.updatedAt),
  })

  const reply = async (id: number) => {
    const recurring = await load(id)
    return present(recurring, await reconcile(recurring))
  }

  app.openapi(
    route('editDeliveries', 'create a recurring delivery', {
      method: 'post',
      path: '/recurring-deliveries',
      summary: 'Create a recurring delivery and its Temporal schedule',
      request: { body: jsonBody(rs.RecurringCreate) },
      responses: { 201: json(rs.RecurringDelivery, 'The new recurring delivery'), ...errors },
    }),
    async (c) => {
      const input = c.req.valid('json')
      const { recurrence } = input
      const problems = [
        ...audienceProblems(input.audience),
        ...aggregationProblems(input.aggregation, input.confirmBeforeEachSend),
      ]
      const startsAt = contactDateFrom(recurrence.startsAt, recurrence.timeZone, 'recurrence.startsAt')
      const endsAt = contactDateFrom(recurrence.endsAt, recurrence.timeZone, 'recurrence.endsAt')
      const now = Date.now()
      // Runs happen on whole seconds; the first interval run is at the start.
      const start = startsAt === null ? null : Math.ceil(startsAt / 1000) * 1000
      problems.push(
        ...recurrenceProblems(
          { ...recurrence, intervalMs: recurrence.every, startsAt: start, endsAt },
          config.minRecurrenceMs,
          now,
        ),
      )
      if (problems.length) throw badRequest(problems[0].field, problems[0].message)
      // Without a confirmation before each send, the recurrence sends on its own: that is starting sends.
      if (!input.confirmBeforeEachSend && !hasRight(c.get('user').roles, 'startDeliveries')) {
        throw forbidden(
          missingRoleMessage(
            'startDeliveries',
            'create a recurring delivery that sends without a confirmation before each run',
          ),
        )
      }
      const { recurrence: _, ...content } = input
      const em = db.em()
      const recurring = em.create(RecurringEntity, {
        ...content,
        guarantee: input.guarantee ?? config.defaultGuarantee,
        cron: recurrence.cron?.trim() || null,
        intervalMs: recurrence.every ?? null,
        timeZone: recurrence.timeZone,
        startsAt: start === null ? null : new Date(start),
        endsAt: endsAt === null ? null : new Date(endsAt),
        createdBy: c.get('user').name,
      } as never)
      await em.flush()
      try {
        await schedules.create(recurring)
      } catch (err) {
        await db.knex('recurring_delivery').where('id', recurring.id).delete()
        throw err
      }
      return c.json(await present(recurring, await readSchedule(recurring)), 201)
    },
  )

  app.openapi(
    route('read', 'read recurring deliveries', {
      method: 'get',
      path: '/recurring-deliveries',
      summary: 'List recurring deliveries, newest first, with the totals of their executions',
      request: { query: rs.RecurringQuery },
      responses: { 200: json(s.page(rs.RecurringDelivery), 'A page of recurring deliveries'), ...errors },
    }),
    async (c) => {
      const { page, pageSize, status } = c.req.valid('query')
      const [items, total] = await db.em().findAndCount(RecurringEntity, status ? { status } : {}, {
        orderBy: { id: 'desc' },
        limit: pageSize,
        offset: (page - 1) * pageSize,
      })
      const presented = await Promise.all(items.map((item) => present(item)))
      return c.json({ items: presented, page, pageSize, total }, 200)
    },
  )

  app.openapi(
    route('read', 'read recurring deliveries', {
      method: 'get',
      path: '/recurring-deliveries/{id}',
      summary: 'A recurring delivery: its schedule as Temporal has it, and the totals of all its executions',
      request: { params: s.IdParam },
      responses: { 200: json(rs.RecurringDelivery, 'The recurring delivery'), ...errors },
    }),
    async (c) => c.json(await reply(c.req.valid('param').id), 200),
  )

  app.openapi(
    route('read', 'read recurring deliveries', {
      method: 'get',
      path: '/recurring-deliveries/{id}/executions',
      summary: 'Executions (one per aggregation period, or per run without aggregation), newest first',
      request: { params: s.IdParam, query: s.PageQuery },
      responses: { 200: json(s.page(rs.Execution), 'A page of executions'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const { page, pageSize } = c.req.valid('query')
      await load(id)
      const [items, total] = await db
        .em()
        .findAndCount(
          DeliveryEntity,
          { recurringId: id },
          { orderBy: { id: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize },
        )
      const counts = await countExecutionLogs(db, id)
      const runs: { delivery_id: number; count: number | string }[] = await db
        .knex('recurring_run')
        .where('recurring_id', id)
        .whereNotNull('delivery_id')
        .select('delivery_id')
        .count('* as count')
        .groupBy('delivery_id')
      const runCount = new Map(runs.map((r) => [Number(r.delivery_id), Number(r.count)]))
      const presented = await Promise.all(
        items.map(async (execution) => {
          const logs = counts.get(execution.id) ?? emptyCounts()
          const status = execution.status as DeliveryStatus
          return {
            id: execution.id,
            label: execution.label,
            periodKey: execution.periodKey ?? '',
            status,
            statusLabel: statusLabels[status],
            runs: runCount.get(execution.id) ?? 0,
            messagesToDeliver: execution.messagesToDeliver,
            excludedCount: execution.excludedCount,
            progress: progressOf(execution, logs),
            kpis: computeKpis(await kpiCountsOf(db, execution, logs)),
            sendingStartedAt: iso(execution.sendingStartedAt),
            finishedAt: iso(execution.finishedAt),
            createdAt: iso(execution.createdAt),
            deliveryUrl: `/api/deliveries/${execution.id}`,
            ...(await executionLinks(db, config.temporal, execution.id)),
          }
        }),
      )
      return c.json({ items: presented, page, pageSize, total }, 200)
    },
  )

  const presentRuns = async (runs: IRecurringRun[]) => {
    const counts = await countRunLogs(
      db,
      runs.map((r) => r.id),
    )
    return runs.map((run) => {
      const logs = counts.get(run.id) ?? emptyCounts()
      const status = run.status as RunStatus
      return {
        id: run.id,
        recurringId: run.recurring.id,
        executionId: run.delivery?.id ?? null,
        workflowId: run.workflowId,
        temporalUrl: schedules.runUrl(run.workflowId),
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
        progress: progressOf({ messagesToDeliver: run.messagesToDeliver } as IDelivery, logs),
        // Opens and clicks belong to the execution; a run has its sending figures.
        kpis: sendingKpis(run.messagesToDeliver, logs),
      }
    })
  }

  const loadRun = async (id: number, runId: number): Promise<IRecurringRun> => {
    const run = await db.em().findOne(RunEntity, { id: runId, recurring: id })
    if (!run) throw notFound(`run ${runId} of recurring delivery ${id}`)
    return run
  }

  app.openapi(
    route('read', 'read recurring deliveries', {
      method: 'get',
      path: '/recurring-deliveries/{id}/runs',
      summary: 'Runs, newest first: status, the messages each added, counts and KPIs',
      request: { params: s.IdParam, query: rs.RunQuery },
      responses: { 200: json(s.page(rs.Run), 'A page of runs'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const { page, pageSize, status } = c.req.valid('query')
      await load(id)
      const [runs, total] = await db
        .em()
        .findAndCount(
          RunEntity,
          { recurring: id, ...(status ? { status } : {}) },
          { orderBy: { id: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize },
        )
      return c.json({ items: await presentRuns(runs), page, pageSize, total }, 200)
    },
  )

  app.openapi(
    route('read', 'read recurring deliveries', {
      method: 'get',
      path: '/recurring-deliveries/{id}/runs/{runId}',
      summary: 'One run',
      request: { params: rs.RunParam },
      responses: { 200: json(rs.Run, 'The run'), ...errors },
    }),
    async (c) => {
      const { id, runId } = c.req.valid('param')
      const [run] = await presentRuns([await loadRun(id, runId)])
      return c.json(run, 200)
    },
  )

  app.openapi(
    route('startDeliveries', 'confirm the send of a run', {
      method: 'post',
      path: '/recurring-deliveries/{id}/runs/{runId}/confirm',
      summary: 'Confirm a run waiting for confirmation; `expectedMessages` must match what it prepared',
      request: { params: rs.RunParam, body: jsonBody(rs.RunConfirm, false) },
      responses: { 200: json(rs.Run, 'The run, sending'), ...errors },
    }),
    async (c) => {
      const { id, runId } = c.req.valid('param')
      const body = (c.req.valid('json') ?? {}) as z.infer<typeof rs.RunConfirm>
      const run = await loadRun(id, runId)
      if (run.status !== 'waiting_for_confirmation') {
        throw conflict(
          `cannot confirm run ${runId}: it is ${runStatusLabels[run.status as RunStatus].toLowerCase()}`,
        )
      }
      await schedules.confirm(run.workflowId, {
        by: c.get('user').name,
        expectedMessages: body.expectedMessages,
      })
      const [presented] = await presentRuns([await loadRun(id, runId)])
      return c.json(presented, 200)
    },
  )

  const command = (
    name: RecurringCommand,
    action: string,
    summary: string,
    act: (recurring: IRecurringDelivery, by: string) => Promise<RecurringStatus | null>,
    right: Right = 'runWorkflows',
  ) =>
    app.openapi(
      route(right, action, {
        method: 'post',
        path: `/recurring-deliveries/{id}/${name}`,
        summary,
        request: { params: s.IdParam, body: jsonBody(s.NoInput, false) },
        responses: { 200: json(rs.RecurringDelivery, 'The recurring delivery after the command'), ...errors },
      }),
      async (c) => {
        const { id } = c.req.valid('param')
        const recurring = await load(id)
        await reconcile(recurring)
        if (!recurringCommandAllowedIn[name].includes(recurring.status)) {
          throw conflict(`cannot ${name} a recurring delivery that is ${recurring.status}`)
        }
        const status = await act(recurring, c.get('user').name)
        if (status) await setStatus(recurring, status)
        return c.json(await reply(id), 200)
      },
    )

  command('pause', 'pause a recurring delivery', 'Pause: no new runs until resumed', async (r, by) => {
    await schedules.pause(r.id, by)
    return 'paused'
  })
  command(
    'resume',
    'resume a recurring delivery',
    'Resume: runs start again at the next occurrence',
    async (r, by) => {
      await schedules.resume(r.id, by)
      return 'active'
    },
  )
  command(
    'trigger',
    'trigger a recurring delivery',
    'Run once now (a run in progress gives way as when the next is due)',
    async (r) => {
      // Temporal names a run after the second it is for: a trigger within the second of the latest run
      // would be taken for that run and dropped. It waits for the next second instead.
      const latest = await db.em().findOne(RunEntity, { recurring: r.id }, { orderBy: { id: 'desc' } })
      const second = (ms: number) => Math.floor(ms / 1000)
      if (latest && second(latest.scheduledAt.getTime()) >= second(Date.now())) {
        await sleep(1000 - (Date.now() % 1000))
      }
      await schedules.trigger(r.id)
      return null
    },
  )
  command(
    'stop',
    'stop a recurring delivery',
    'Stop for good: delete the schedule; a run waiting for confirmation expires, a send finishes',
    async (r) => {
      await setStatus(r, 'stopped')
      await schedules.stop(r.id, await unfinishedRunWorkflows(db, r.id))
      return 'stopped'
    },
  )

  return app
}

function sendingKpis(toDeliver: number, logs: StatusCounts) {
  const {
    opens: _o,
    clicks: _c,
    openRate: _or,
    clickRate: _cr,
    ...sending
  } = computeKpis({
    toDeliver,
    delivered: logs.sent,
    failed: logs.failed + logs.in_doubt,
    uniqueOpens: 0,
    uniqueClicks: 0,
  })
  return sending
}

function addStatusCounts(a: StatusCounts, b: StatusCounts): StatusCounts {
  const sum = emptyCounts()
  for (const key of Object.keys(sum) as (keyof StatusCounts)[]) sum[key] = a[key] + b[key]
  return sum
}
