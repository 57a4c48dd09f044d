import { ApplicationFailure } from '@temporalio/common'
import { DateTime } from 'luxon'
import type { Database } from '../persistence/database'
import type { IDelivery, IRecurringDelivery } from '../persistence/entities'
import { appendToTarget } from '../persistence/preparation'
import {
  loadRecurring,
  openExecution,
  preparedRun,
  recordExecutionOccurrence,
  recordRun,
  recordRunStart,
  refreshExecutionCounts,
  runScheduledAt,
  type RunPatch,
} from '../persistence/recurring'
import { audienceProblem } from '../domain/delivery-input'
import { occurrenceOf, periodKey } from '../domain/recurrence'
import type { Wave } from '../domain/waves'
import { replaceTrackedUrls } from '../persistence/tracking'
import { recordExecutionReport } from '../persistence/deliveries'
import { hasCriticalProblem, preparationMessages, type PreparationReport } from '../domain/preparation'

export interface BeginRunInput {
  recurringId: number
  workflowId: string
  /** epoch ms: the time the schedule meant this run for */
  scheduledAt: number
  startedAt: number
}

export interface BeginRunResult {
  runId: number
  /** The recurrence was stopped after this run was started: it must not send. */
  stopped: boolean
}

export interface PrepareRunInput {
  runId: number
  recurringId: number
  batchSize: number
  /** epoch ms: when the run prepares, which decides its aggregation period */
  at: number
}

export interface PreparedRun {
  executionId: number
  /** The run opened a new execution (the first of its period). */
  newExecution: boolean
  firstBatch: number
  batches: number
  /** Messages this run added to the execution. */
  toDeliver: number
  /** Targeted profiles the execution held already (an earlier run of the period). */
  alreadyIncluded: number
  /** What blocks the send (content or audience), if anything. */
  problem: string | null
  /** Sent at each recipient's local time: this run's waves, earliest first (absent otherwise). */
  waves?: Wave[]
}

/** A run's waves: those of its execution's report within the batches it added. */
function wavesOfRun(execution: IDelivery, firstBatch: number, batches: number): Wave[] {
  const all = execution.preparationReport?.waves ?? []
  return all.filter((w) => w.firstBatch >= firstBatch && w.firstBatch < firstBatch + batches)
}

/**
 * Adds to the execution the run's targeted profiles it does not hold yet, records them on the run (in the
 * same transaction) and the execution's report; says what blocks the send, if anything.
 */
async function appendRun(
  deps: { db: Database; clock: () => Date },
  input: PrepareRunInput,
  recurring: IRecurringDelivery,
  execution: IDelivery,
  /** Sent at each recipient's local time: the occurrence's wall-clock time, in the recurrence's zone. */
  occurrence: number | null,
) {
  const { db, clock } = deps
  const target = {
    id: execution.id,
    audience: execution.audience,
    targetLimit: execution.targetLimit,
    ...(occurrence === null
      ? {}
      : { recipientTimeZone: true, contactDate: new Date(occurrence), timeZone: recurring.timeZone }),
  }
  const counts = await appendToTarget(db, target, input.batchSize, async (trx, appended) => {
    const patch: RunPatch = {
      firstBatch: appended.firstBatch,
      batchCount: appended.batches,
      messagesToDeliver: appended.toDeliver,
      excludedCount: appended.target - appended.toDeliver,
    }
    await recordRun(db, input.runId, patch, trx)
  })
  // Profiles the execution holds already are no exclusion: "nothing new" is no error in a period.
  const messages = preparationMessages(recurring, {
    target: counts.target + counts.alreadyIncluded,
    toDeliver: counts.toDeliver + counts.alreadyIncluded,
    excluded: counts.excluded,
  })
  const report: PreparationReport = {
    preparedAt: clock().toISOString(),
    target: counts.target,
    toDeliver: counts.toDeliver,
    excluded: counts.excluded,
    messages,
    batches: counts.batches,
    // The waves of every run of the execution, earliest first: each run adds its own.
    ...(counts.waves
      ? {
          waves: [...(execution.preparationReport?.waves ?? []), ...counts.waves].sort(
            (a, b) => a.at - b.at || a.firstBatch - b.firstBatch,
          ),
        }
      : {}),
  }
  await refreshExecutionCounts(db, execution.id)
  await recordExecutionReport(db, execution.id, report, execution.version)
  const problem = hasCriticalProblem(messages)
    ? messages
        .filter((m) => m.severity === 'critical')
        .map((m) => m.message)
        .join('; ')
    : null
  return { counts, problem }
}

/** The activities of a recurring delivery's runs; the sending itself reuses the delivery activities. */
export const createRecurringActivities = (deps: { db: Database; clock: () => Date }) => {
  const { db } = deps

  return {
    async beginRun(input: BeginRunInput): Promise<BeginRunResult> {
      const recurring = await loadRecurring(db, input.recurringId)
      if (!recurring) {
        throw ApplicationFailure.nonRetryable(
          `recurring delivery ${input.recurringId} not found`,
          'RecurringNotFound',
        )
      }
      const runId = await recordRunStart(db, input)
      return { runId, stopped: recurring.status === 'stopped' }
    },

    /**
     * Recomputes the target into the execution of the run's aggregation period, opened by the first run
     * of the period. A retry after the preparation committed finds it recorded and returns it as it was.
     */
    async prepareRun(input: PrepareRunInput): Promise<PreparedRun> {
      const recurring = await loadRecurring(db, input.recurringId)
      if (!recurring) {
        throw ApplicationFailure.nonRetryable(
          `recurring delivery ${input.recurringId} not found`,
          'RecurringNotFound',
        )
      }
      const done = await preparedRun(db, input.runId)
      // Sent at each recipient's local time, the run stands for an occurrence (fired early, in the
      // earliest zone): its period and label are the occurrence's, not the time it prepares.
      const occurrence =
        recurring.recipientTimeZone && recurring.cron
          ? occurrenceOf(recurring.cron, recurring.timeZone, await runScheduledAt(db, input.runId))
          : null
      const at = occurrence ?? input.at
      const key = periodKey(recurring.aggregation, at, recurring.timeZone) ?? `run-${input.runId}`
      const when =
        recurring.aggregation === 'none'
          ? DateTime.fromMillis(at, { zone: recurring.timeZone }).toFormat('yyyy-LL-dd HH:mm:ss')
          : key
      const { execution, created } = await openExecution(db, recurring, key, `${recurring.label} (${when})`)
      // Every run of the period sends the same content: storing its links again is harmless, and sure.
      await replaceTrackedUrls(db, execution)
      if (done && done.executionId === execution.id) {
        const { firstBatch, batches, toDeliver } = done
        const waves = occurrence === null ? {} : { waves: wavesOfRun(execution, firstBatch, batches) }
        return {
          executionId: execution.id,
          newExecution: created,
          firstBatch,
          batches,
          toDeliver,
          alreadyIncluded: 0,
          problem: null,
          ...waves,
        }
      }
      await recordRun(db, input.runId, { status: 'preparing', executionId: execution.id })
      // An audience the API would refuse (stored before a rule existed) fails the run, not retried.
      const invalid = audienceProblem(recurring.audience)
      if (invalid) {
        return {
          executionId: execution.id,
          newExecution: created,
          firstBatch: 0,
          batches: 0,
          toDeliver: 0,
          alreadyIncluded: 0,
          problem: `the delivery cannot be prepared: ${invalid}`,
        }
      }

      if (occurrence !== null) await recordExecutionOccurrence(db, execution.id, occurrence)
      const { counts, problem } = await appendRun(deps, input, recurring, execution, occurrence)
      return {
        executionId: execution.id,
        newExecution: created,
        firstBatch: counts.firstBatch,
        batches: counts.batches,
        toDeliver: counts.toDeliver,
        alreadyIncluded: counts.alreadyIncluded,
        problem,
        ...(counts.waves ? { waves: counts.waves } : {}),
      }
    },

    /** Whether the recurrence was stopped (or deleted): a run waiting for a wave sends it only if not. */
    async recurringStopped(recurringId: number): Promise<boolean> {
      const recurring = await loadRecurring(db, recurringId)
      return !recurring || recurring.status === 'stopped'
    },

    async recordRun(runId: number, patch: RunPatch): Promise<void> {
      await recordRun(db, runId, patch)
    },
  }
}
