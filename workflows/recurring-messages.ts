import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow'
import type { RunStatus } from '../domain/recurring-runs'
import type { Actor } from './messages'

/** What the runs of a recurring delivery understand, and the ids Herald gives them in Temporal. */

/** The Temporal schedule of a recurring delivery: `recurring-7`. */
export const recurringScheduleId = (recurringId: number, prefix = '') => `${prefix}recurring-${recurringId}`

/** Each run's workflow id is this plus the time it was scheduled for (Temporal appends it). */
export const recurringRunWorkflowId = (recurringId: number, prefix = '') =>
  `${recurringScheduleId(recurringId, prefix)}-run`

/** A run as its workflow sees it, returned by `confirmRun` and the `runState` query. */
export interface RunView {
  recurringId: number
  runId: number | null
  executionId: number | null
  status: RunStatus
  /** Messages this run added to its execution. */
  messagesToDeliver: number
  waitingFor: string
}

/** `expectedMessages` is the count the user saw; a different prepared count refuses the confirmation. */
export const confirmRun = defineUpdate<RunView, [Actor & { expectedMessages?: number }]>('confirmRun')

export const runState = defineQuery<RunView>('runState')

/**
 * The recurring delivery was stopped: a run sent in waves sends no further wave. A signal, not the
 * cancellation: the schedule may have cancelled the run already (the next occurrence was due), and a
 * workflow hears only the first cancellation.
 */
export const stopWaves = defineSignal<[Actor]>('stopWaves')
