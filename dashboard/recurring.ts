import cronstrue from 'cronstrue'
import { Duration } from 'luxon'
import type { DeliveryStatus } from '../domain/delivery-states'
import type { AggregationPeriod } from '../domain/recurrence'
import {
  recurringCommandAllowedIn,
  recurringCommands,
  type RecurringCommand,
  type RecurringStatus,
  type RunStatus,
} from '../domain/recurring-runs'
import { hasRight, missingRoleMessage, type Right, type Role } from '../domain/roles'
import type { Kpis } from '../domain/kpis'
import type { DeliveryJson, WaveJson } from './deployment'

/** What the dashboard shows of a recurring delivery: its schedule, its runs and the actions a user may take. */

type Progress = DeliveryJson['progress']

/** A recurring delivery's Temporal schedule as the API describes it, the fields read here. */
export interface ScheduleJson {
  paused: boolean
  note: string | null
  /** The next few run times, as Temporal computes them. */
  nextRuns: string[]
  runsStarted: number
  temporalUrl: string
}

/** A recurring delivery as the API returns it (`GET /api/recurring-deliveries/{id}`), the fields read here. */
export interface RecurringJson {
  id: number
  label: string
  status: RecurringStatus
  subject: string
  recurrence: {
    cron: string | null
    every: number | null
    timeZone: string
    startsAt: string | null
    endsAt: string | null
  }
  aggregation: AggregationPeriod
  confirmBeforeEachSend: boolean
  /** Each occurrence at each recipient's local time (runs fire when it comes in UTC+14). */
  recipientTimeZone?: boolean
  totals: { executions: number; runs: Record<string, number>; progress: Progress; kpis: Kpis }
  schedule: ScheduleJson | null
  /** Why `schedule` is missing when Temporal did not describe it in time. */
  scheduleUnanswered: string | null
  scheduleId: string
  temporalUrl: string
  createdBy: string
  createdAt: string | null
}

/** `GET …/{id}/runs`: one occurrence of the schedule and what it added to its execution. */
export interface RunJson {
  id: number
  executionId: number | null
  workflowId: string
  temporalUrl: string
  status: RunStatus
  statusLabel: string
  reason: string | null
  scheduledAt: string
  startedAt: string | null
  finishedAt: string | null
  messagesToDeliver: number
  excludedCount: number
  confirmedBy: string | null
  confirmedAt: string | null
  progress: Progress
  /** Sent at each recipient's local time: its first wave with recipients still to send (the execution's page shows them all). */
  nextWave?: WaveJson | null
}

/** `GET …/{id}/executions`: a delivery of its own, sent by the runs of one aggregation period. */
export interface ExecutionJson {
  id: number
  label: string
  periodKey: string
  status: DeliveryStatus
  statusLabel: string
  runs: number
  messagesToDeliver: number
  progress: Progress
  kpis: Kpis
  createdAt: string | null
}

/** The recurrence in words: "At 09:00, Monday through Friday (Europe/Paris)", "Every 10 minutes". */
export function describeRecurrence(
  recurrence: RecurringJson['recurrence'],
  recipientTimeZone = false,
): string {
  if (recurrence.every) return `Every ${describeInterval(recurrence.every)}`
  const cron = recurrence.cron ?? ''
  // Sent at each recipient's local time, the runs start when the time comes in the earliest zone.
  const zone = recipientTimeZone
    ? `each recipient’s local time, else ${recurrence.timeZone}; runs start when it comes in UTC+14`
    : recurrence.timeZone
  try {
    return `${cronstrue.toString(cron, { use24HourTimeFormat: true })} (${zone})`
  } catch {
    return `${cron} (${zone})`
  }
}

function describeInterval(ms: number): string {
  const parts = Duration.fromMillis(ms).rescale()
  const units = Object.entries(parts.toObject()).filter(([, value]) => value)
  // "Every day", not "Every 1 day".
  if (units.length === 1 && units[0][1] === 1) return units[0][0].replace(/s$/, '')
  return parts.toHuman()
}

export const aggregationLabels: Record<AggregationPeriod, string> = {
  none: 'None: each run is an execution of its own',
  day: 'By day: the runs of one day add to one execution',
  week: 'By week (ISO, Monday first): the runs of one week add to one execution',
  month: 'By month: the runs of one month add to one execution',
}

export const recurringActionLabels: Record<RecurringCommand, string> = {
  pause: 'Pause',
  resume: 'Resume',
  trigger: 'Trigger now',
  stop: 'Stop',
}

/**
 * Pause, Resume, Trigger now and Stop: those the API has a route for, that the recurring delivery's
 * status allows and the user's roles grant (`rightFor` reads `POST …/{id}/<command>` from the API).
 */
export function recurringActions(
  recurring: Pick<RecurringJson, 'status'>,
  roles: readonly Role[],
  rightFor: (command: RecurringCommand) => Right | undefined,
): { action: RecurringCommand; label: string }[] {
  return recurringCommands.flatMap((action) => {
    const right = rightFor(action)
    if (!right || !hasRight(roles, right)) return []
    if (!recurringCommandAllowedIn[action].includes(recurring.status)) return []
    return [{ action, label: recurringActionLabels[action] }]
  })
}

/**
 * A run waiting for its confirmation offers Confirm to a user whose roles grant the right of
 * `POST …/runs/{runId}/confirm`; anyone else reads the message naming the missing role (ACS).
 */
export function runConfirmation(
  run: Pick<RunJson, 'status'>,
  roles: readonly Role[],
  right: Right | undefined,
): { refusal: string | null } | null {
  if (run.status !== 'waiting_for_confirmation' || !right) return null
  return { refusal: hasRight(roles, right) ? null : missingRoleMessage(right, 'confirm the send of a run') }
}

const movingRuns: readonly RunStatus[] = ['started', 'preparing', 'sending']

/** A run sent in waves that waits for a wave more than a few seconds ahead (it may wait for hours). */
function waitsForWave(run: Pick<RunJson, 'status' | 'nextWave'>, now: number): boolean {
  return run.status === 'sending' && !!run.nextWave && Date.parse(run.nextWave.at) - now > 5000
}

/**
 * While a run prepares or sends, the page refreshes every second, and so it does when the next run is
 * seconds away; while a run waits for its confirmation or for a wave, or the schedule runs, every few
 * seconds. A
 * paused, stopped or finished recurrence with no run in progress does not move on its own.
 */
export function recurringRefreshMs(
  recurring: Pick<RecurringJson, 'status' | 'schedule'>,
  runs: Pick<RunJson, 'status' | 'nextWave'>[],
  now: number,
): number | null {
  if (runs.some((run) => movingRuns.includes(run.status) && !waitsForWave(run, now))) return 1000
  if (runs.some((run) => waitsForWave(run, now))) return 5000
  const active = recurring.status === 'active' && !recurring.schedule?.paused
  const next = recurring.schedule?.nextRuns[0]
  if (active && next && Date.parse(next) - now < 5000) return 1000
  if (active || runs.some((run) => run.status === 'waiting_for_confirmation')) return 5000
  return null
}

/** What the page shows that only a reload redraws: a new value means the page reloads. */
export function liveState(
  recurring: Pick<RecurringJson, 'status' | 'schedule'>,
  runs: Pick<RunJson, 'id' | 'status'>[],
  executions: Pick<ExecutionJson, 'id' | 'status'>[],
): string {
  return [
    recurring.status,
    recurring.schedule?.paused ? 'paused' : '',
    runs.map((run) => `${run.id}:${run.status}`).join(','),
    executions.map((execution) => `${execution.id}:${execution.status}`).join(','),
  ].join('|')
}

/** The figures of run and execution rows that move while they send, by the `data-field` of their cell. */
export function liveFields(runs: RunJson[], executions: ExecutionJson[]): Record<string, string> {
  const figures = (row: string, progress: Progress) => [
    [`${row}-sent`, String(progress.processed)],
    [`${row}-delivered`, String(progress.delivered)],
    [`${row}-failed`, String(progress.failed)],
  ]
  return Object.fromEntries([
    ...runs.flatMap((run) => figures(`run-${run.id}`, run.progress)),
    ...executions.flatMap((execution) => figures(`execution-${execution.id}`, execution.progress)),
  ])
}
