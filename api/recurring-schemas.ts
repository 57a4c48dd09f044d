import { z } from '@hono/zod-openapi'
import { confirmation } from '../domain/delivery-input'
import { Kpis } from './monitoring-schemas'
import ms from 'ms'
import { aggregationPeriods } from '../domain/recurrence'
import { recurringStatuses, runStatuses } from '../domain/recurring-runs'
import { isTimeZone } from '../domain/schedule'
import { DeliveryCreate, IdParam, numberPathParam, PageQuery, Progress, Wave } from './schemas'

/** Request and reply schemas of recurring deliveries, their executions and runs. */

/** `10m`, `1h`, `1d` or milliseconds. */
const every = z.union([z.number().int().positive(), z.string().max(32)]).transform((value, ctx) => {
  const parsed = typeof value === 'number' ? value : ms(value as ms.StringValue)
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 10m, 1h or 1d (or milliseconds)' })
    return z.NEVER
  }
  return parsed
})

export const RecurrenceInput = z
  .strictObject({
    /** Five fields, read in `timeZone`: `0 9 * * *` is every day at 9:00. */
    cron: z.string().max(255).optional(),
    every: every.optional(),
    timeZone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')
      .default('UTC'),
    /** ISO 8601; without an offset it is read in `timeZone` */
    startsAt: z.string().max(64).nullable().optional(),
    endsAt: z.string().max(64).nullable().optional(),
  })
  .openapi('RecurrenceInput')

export const RecurringCreate = DeliveryCreate.omit({
  contactDate: true,
  requireApproval: true,
  timeZone: true,
})
  .extend({
    recurrence: RecurrenceInput,
    /** Runs within one period add to one execution (one set of logs and KPIs). */
    aggregation: z.enum(aggregationPeriods).default('none'),
    /** Each run waits for a confirmation by a "Start deliveries" user; only without aggregation. */
    confirmBeforeEachSend: z.boolean().default(false),
    recipientTimeZone: z
      .boolean()
      .optional()
      .openapi({
        description:
          'Send each occurrence at each recipient’s local time: the time of the occurrence (a cron in ' +
          '`recurrence.timeZone`, such as `0 9 * * *`) is read as a wall-clock time in each profile’s ' +
          'zone (the recurrence’s for a profile without one), and each run sends its execution in waves. ' +
          'Needs `recurrence.cron` (400 with an interval)',
      }),
  })
  .openapi('RecurringDeliveryCreate')

export const RecurringQuery = PageQuery.extend({ status: z.enum(recurringStatuses).optional() })
export const RunQuery = PageQuery.extend({ status: z.enum(runStatuses).optional() })

export const RunParam = IdParam.extend({
  runId: numberPathParam(),
})

export const RunConfirm = z.strictObject(confirmation).openapi('RunConfirm')

/** A run's own sending figures; opens and clicks belong to its execution. */
export const RunKpis = Kpis.omit({ opens: true, clicks: true, openRate: true, clickRate: true }).openapi(
  'RunKpis',
)

export const RecurringDelivery = z
  .object({
    id: z.number(),
    label: z.string(),
    status: z.enum(recurringStatuses),
    recurrence: z.object({
      cron: z.string().nullable(),
      every: z.number().nullable(),
      timeZone: z.string(),
      startsAt: z.string().nullable(),
      endsAt: z.string().nullable(),
    }),
    aggregation: z.enum(aggregationPeriods),
    confirmBeforeEachSend: z.boolean(),
    recipientTimeZone: z.boolean(),
    totals: z.object({
      executions: z.number(),
      runs: z.record(z.string(), z.number()),
      progress: Progress,
      kpis: Kpis,
    }),
    schedule: z
      .object({
        scheduleId: z.string(),
        paused: z.boolean(),
        note: z.string().nullable(),
        nextRuns: z.array(z.string()),
        /** The same, in words in the recurrence's zone, naming it: "2026-12-01 09:00:00 Europe/Paris". */
        nextRunsText: z.array(z.string()),
        runsStarted: z.number(),
        temporalUrl: z.string(),
      })
      .nullable(),
    scheduleUnanswered: z.string().nullable().openapi({
      description:
        'Set when Temporal did not describe the schedule in time: `schedule` is then null and `status` is the last one recorded',
    }),
  })
  .passthrough()
  .openapi('RecurringDelivery')

export const Execution = z
  .object({
    id: z.number(),
    label: z.string(),
    periodKey: z.string(),
    status: z.string(),
    runs: z.number(),
    progress: Progress,
    kpis: Kpis,
    temporalUrl: z.string(),
    recipientTimeZone: z.boolean(),
    /** Sent at each recipient's local time: the waves of all its runs, earliest first; null otherwise. */
    waves: z.array(Wave).nullable(),
  })
  .passthrough()
  .openapi('RecurringExecution')

export const Run = z
  .object({
    id: z.number(),
    recurringId: z.number(),
    executionId: z.number().nullable(),
    workflowId: z.string(),
    status: z.enum(runStatuses),
    statusLabel: z.string(),
    reason: z.string().nullable(),
    scheduledAt: z.string(),
    messagesToDeliver: z.number(),
    progress: Progress,
    kpis: RunKpis,
    temporalUrl: z.string(),
    /** Sent at each recipient's local time: this run's waves, earliest first; null otherwise. */
    waves: z.array(Wave).nullable(),
    /** The first of its waves with recipients still to send, or null once the run is over. */
    nextWave: Wave.nullable(),
  })
  .passthrough()
  .openapi('RecurringRun')
