import { ApplicationFailure } from '@temporalio/common'
import { DateTime } from 'luxon'
import type { Database } from '../persistence/database'
import type { IDelivery, IRecurringDelivery } from '../persistence/entities'
import { appendToTarget } from '../persistence/preparation'
import {
  loadRecurring,
  openExecution,
  preparedRun,
  recordRun,
  recordRunStart,
  refreshExecutionCounts,
  type RunPatch,
} from '../persistence/recurring'
import { audienceProblem } from '../domain/delivery-input'
import { periodKey } from '../domain/recurrence'
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
) {
  const { db, clock } = deps
  const counts = await appendToTarget(db, execution, input.batchSize, async (trx, appended) => {
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
      const key = periodKey(recurring.aggregation, input.at, recurring.timeZone) ?? `run-${input.runId}`
      const when =
        recurring.aggregation === 'none'
          ? DateTime.fromMillis(input.at, { zone: recurring.timeZone }).toFormat('yyyy-LL-dd HH:mm:ss')
          : key
      const { execution, created } = await openExecution(db, recurring, key, `${recurring.label} (${when})`)
      // Every run of the period sends the same content: storing its links again is harmless, and sure.
      await replaceTrackedUrls(db, execution)
      if (done && done.executionId === execution.id) {
        const { firstBatch, batches, toDeliver } = done
        return {
          executionId: execution.id,
          newExecution: created,
          firstBatch,
          batches,
          toDeliver,
          alreadyIncluded: 0,
          problem: null,
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

      const { counts, problem } = await appendRun(deps, input, recurring, execution)
      return {
        executionId: execution.id,
        newExecution: created,
        firstBatch: counts.firstBatch,
        batches: counts.batches,
        toDeliver: counts.toDeliver,
        alreadyIncluded: counts.alreadyIncluded,
        problem,
      }
    },

    async recordRun(runId: number, patch: RunPatch): Promise<void> {
      await recordRun(db, runId, patch)
    },
  }
}
